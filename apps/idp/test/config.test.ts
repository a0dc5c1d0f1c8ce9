import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { generateSigningKey, publicJwks } from '@ema/tokens'
import { insecureHttpRule } from '@ema/test-kit'
import { loadConfig } from '../src/config.ts'
import { resolveTarget } from '../src/grants/resolve-target.ts'

const BASE = {
  IDP_ISSUER: 'https://acme.idp.example',
  AS_ISSUER: 'https://auth.chat.example/',
  RS_RESOURCE: 'https://mcp.chat.example/mcp',
  CLIENT_URL: 'https://agent.example',
}

insecureHttpRule({
  role: 'IdP',
  main: fileURLToPath(new URL('../src/main.ts', import.meta.url)),
  loadConfig,
  secureEnv: BASE,
  loopbackUrls: {
    IDP_ISSUER: 'http://localhost:4001',
    AS_ISSUER: 'http://127.0.0.1:4002',
    RS_RESOURCE: 'http://[::1]:4003/mcp',
    CLIENT_URL: 'http://localhost:3000',
  },
})

test('IDP-03 an authorization server issuer with a trailing slash is kept exactly and accepted as audience', () => {
  const config = loadConfig(BASE)
  assert.equal(config.authorizationServers[0]?.issuer, 'https://auth.chat.example/')
  const target = resolveTarget(
    { audience: 'https://auth.chat.example/', resource: 'https://mcp.chat.example/mcp' },
    config.authorizationServers,
  )
  assert.equal(target.authorizationServer.issuer, 'https://auth.chat.example/')
  // … and the other spelling is another issuer (RFC 8414 §3.3 compares exactly).
  assert.throws(() => resolveTarget({ audience: 'https://auth.chat.example' }, config.authorizationServers), {
    error: 'invalid_target',
  })
})

test('an IdP issuer with a trailing slash is refused with a clear message', () => {
  assert.throws(
    () => loadConfig({ ...BASE, IDP_ISSUER: 'https://acme.idp.example/' }),
    /IDP_ISSUER=https:\/\/acme\.idp\.example\/ ends with "\/"/,
  )
})

test('SEC-01 plain http URLs are refused unless ALLOW_INSECURE_HTTP=true, and then only for loopback', () => {
  assert.throws(
    () => loadConfig({ ...BASE, IDP_ISSUER: 'http://localhost:4001' }),
    /^TypeError: IDP_ISSUER is plain http \(http:\/\/localhost:4001\): use https, or set ALLOW_INSECURE_HTTP=true/,
  )
  assert.equal(
    loadConfig({ ...BASE, IDP_ISSUER: 'http://localhost:4001', ALLOW_INSECURE_HTTP: 'true' }).issuer,
    'http://localhost:4001',
  )
  assert.throws(
    () => loadConfig({ ...BASE, IDP_ISSUER: 'http://idp.example', ALLOW_INSECURE_HTTP: 'true' }),
    /^TypeError: IDP_ISSUER is plain http to idp\.example, which is not a loopback host: ALLOW_INSECURE_HTTP=true allows http only to localhost/,
  )
})

test('IDP-23 a directory with a repeated sub or username is refused at start-up', async () => {
  const { requireUniqueSubjects } = await import('../src/config.ts')
  const alice = { username: 'alice', password: 'p', sub: 'u-1', name: 'Alice', email: 'a@x', groups: [] }
  assert.deepEqual(requireUniqueSubjects([alice, { ...alice, username: 'bob', sub: 'u-2' }]).length, 2)
  assert.throws(() => requireUniqueSubjects([alice, { ...alice, username: 'alice2' }]), /sub "u-1" twice/)
  assert.throws(() => requireUniqueSubjects([alice, { ...alice, sub: 'u-2' }]), /username "alice" twice/)
  const subs = loadConfig(BASE).users.map((user) => user.sub)
  assert.equal(new Set(subs).size, subs.length)
})

/** A public JWK Set as `npm start` passes it in AGENT_CLI_JWKS. */
async function agentCliJwks(): Promise<{ keys: Array<Record<string, unknown>> }> {
  return publicJwks([await generateSigningKey('ES256')])
}

test('IDP-21 without AGENT_CLI_JWKS (unset or empty) the agent CLI is not registered', () => {
  for (const env of [BASE, { ...BASE, AGENT_CLI_JWKS: '' }, { ...BASE, AGENT_CLI_JWKS: '  ' }]) {
    assert.deepEqual(
      loadConfig(env).clients.map((client) => client.client_id),
      ['acme-agent'],
    )
  }
})

test('IDP-21 CL-28 AGENT_CLI_JWKS registers acme-agent-cli: private_key_jwt, native, loopback redirect, acme-agent-cli-tasks at the AS', async () => {
  const jwks = await agentCliJwks()
  const config = loadConfig({ ...BASE, AGENT_CLI_JWKS: JSON.stringify(jwks) })
  assert.deepEqual(
    config.clients.map((client) => client.client_id),
    ['acme-agent', 'acme-agent-cli'],
  )
  assert.deepEqual(config.clients[1], {
    client_id: 'acme-agent-cli',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks,
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/callback'],
    clientIdAtAuthorizationServer: { 'https://auth.chat.example/': 'acme-agent-cli-tasks' },
  })
})

test('CL-49 an invalid AGENT_CLI_JWKS is refused at start-up with a message naming it', async () => {
  const [key] = (await agentCliJwks()).keys
  const privateJwk = (await generateSigningKey('ES256')).privateJwk
  const refused: Array<[string, RegExp]> = [
    ['not json', /^AGENT_CLI_JWKS is not valid JSON/],
    [
      JSON.stringify({ keys: [privateJwk] }),
      /^AGENT_CLI_JWKS must hold public keys only, but key 0 has the private member "d"/,
    ],
    [
      JSON.stringify({ keys: [key, { ...key, kid: 'second', d: 'AAAA' }] }),
      /^AGENT_CLI_JWKS must hold public keys only, but key 1 has the private member "d"/,
    ],
    [JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'x', alg: 'HS256' }] }), /private member "k"/],
    [JSON.stringify({ keys: [] }), /^invalid AGENT_CLI_JWKS at keys: it holds no keys/],
    [JSON.stringify({}), /^invalid AGENT_CLI_JWKS at keys/],
    [JSON.stringify(key), /^invalid AGENT_CLI_JWKS at keys/], // a bare JWK, not a set
    [JSON.stringify({ keys: [{ ...key, kid: undefined }] }), /^invalid AGENT_CLI_JWKS at keys\.0\.kid/],
    [JSON.stringify({ keys: [{ ...key, alg: 'RS256' }] }), /^invalid AGENT_CLI_JWKS at keys\.0\.alg/],
    [JSON.stringify({ keys: [{ ...key, crv: 'P-384' }] }), /^invalid AGENT_CLI_JWKS at keys\.0\.crv/],
    [
      JSON.stringify({ keys: [{ ...key, y: key?.x }] }),
      /^invalid AGENT_CLI_JWKS: key 0 is not a valid P-256 public key/,
    ],
    [JSON.stringify({ keys: [key, key] }), /^invalid AGENT_CLI_JWKS: kid ".+" is used twice/],
  ]
  for (const [value, message] of refused) {
    assert.throws(() => loadConfig({ ...BASE, AGENT_CLI_JWKS: value }), { name: 'TypeError', message }, value)
  }
})

test('CL-49 main.ts refuses to start with a private key in AGENT_CLI_JWKS, in one line naming it', async () => {
  const privateJwk = (await generateSigningKey('ES256')).privateJwk
  const env = { ...process.env, ...BASE, AGENT_CLI_JWKS: JSON.stringify({ keys: [privateJwk] }) }
  const run = spawnSync(process.execPath, ['src/main.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env,
    encoding: 'utf8',
    timeout: 30_000,
  })
  assert.equal(run.status, 1)
  const output = run.stdout + run.stderr
  assert.match(output, /cannot start: AGENT_CLI_JWKS must hold public keys only/)
  assert.doesNotMatch(output, /\n\s+at /) // no stack trace
  assert.doesNotMatch(output, new RegExp(String(privateJwk.d))) // and never echoes the private key
})

test('LOG_LEVEL is honoured: a level is taken, unset or empty is info, anything else is refused naming it', () => {
  assert.equal(loadConfig({ ...BASE, LOG_LEVEL: 'warn' }).logLevel, 'warn')
  assert.equal(loadConfig(BASE).logLevel, 'info')
  assert.throws(() => loadConfig({ ...BASE, LOG_LEVEL: 'loud' }), /LOG_LEVEL must be one of debug, info, warn, error/)
})

test('decision 0040: REDIS_URL selects Redis (redis:// or rediss:// only, never echoed); REDIS_KEY_PREFIX defaults to the role and issuer', () => {
  const env = { IDP_ISSUER: 'http://localhost:4901', ALLOW_INSECURE_HTTP: 'true' }
  const memory = loadConfig(env)
  assert.equal(memory.redisUrl, undefined)
  assert.equal(memory.redisKeyPrefix, 'ema:idp:http://localhost:4901')
  assert.equal(memory.redisCommandTimeoutMs, 1000)
  assert.equal(memory.shutdownTimeoutMs, 10_000)
  const redis = loadConfig({
    ...env,
    REDIS_URL: 'redis://:pw@127.0.0.1:6379/0',
    REDIS_KEY_PREFIX: 'acme-prod:idp',
    REDIS_COMMAND_TIMEOUT_MS: '250',
  })
  assert.equal(redis.redisUrl, 'redis://:pw@127.0.0.1:6379/0')
  assert.equal(redis.redisKeyPrefix, 'acme-prod:idp')
  assert.equal(redis.redisCommandTimeoutMs, 250)
  assert.throws(
    () => loadConfig({ ...env, REDIS_URL: 'http://secret-host:6379' }),
    (error: unknown) =>
      error instanceof TypeError && /REDIS_URL/.test(error.message) && !error.message.includes('secret-host'),
  )
})

test('signing keys from configuration: IDP_SIGNING_KEYS (a JWK Set, rotation), IDP_SIGNING_KEYS_FILE, or IDP_SIGNING_KEY; one of them only', async () => {
  const { exportJWK, generateKeyPair } = await import('jose')
  const { mkdtempSync, writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { tmpdir } = await import('node:os')
  const jwk = async (kid: string) => ({
    ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)),
    kid,
  })
  const jwks = JSON.stringify({ keys: [await jwk('current'), await jwk('previous')] })
  const env = { IDP_ISSUER: 'http://localhost:4901', ALLOW_INSECURE_HTTP: 'true' }
  assert.deepEqual(
    loadConfig({ ...env, IDP_SIGNING_KEYS: jwks }).signingKeyJwks?.map((key) => key.kid),
    ['current', 'previous'],
  )
  const file = join(mkdtempSync(join(tmpdir(), 'idp-keys-')), 'keys.json')
  writeFileSync(file, jwks)
  assert.equal(loadConfig({ ...env, IDP_SIGNING_KEYS_FILE: file }).signingKeyJwks?.length, 2)
  assert.equal(loadConfig(env).signingKeyJwks, undefined)
  assert.throws(() => loadConfig({ ...env, IDP_SIGNING_KEYS: jwks, IDP_SIGNING_KEYS_FILE: file }), /set one of/)
  assert.throws(
    () => loadConfig({ ...env, IDP_SIGNING_KEYS_FILE: `${file}.missing` }),
    /IDP_SIGNING_KEYS_FILE cannot be read \(ENOENT\)/,
  )
})

test('IDP-13 the demo world comes from apps/idp/demo-world.json: alice, bob, carol and the admin; two allow rules; the step-up variant marks tasks.write sensitive', () => {
  const config = loadConfig(BASE)
  assert.deepEqual(
    config.users.map((user) => [user.username, user.groups.join(','), user.administrator === true]),
    [
      ['alice', 'engineering', false],
      ['bob', 'sales', false],
      ['carol', '', false],
      ['admin', '', true],
    ],
  )
  assert.deepEqual(
    config.policy.rules.map((rule) => [rule.id, rule.subject, rule.audience, rule.resource, rule.scopes.join(' ')]),
    [
      ['engineering-tasks', 'group:engineering', BASE.AS_ISSUER, BASE.RS_RESOURCE, 'tasks.read tasks.write'],
      ['sales-tasks', 'group:sales', BASE.AS_ISSUER, BASE.RS_RESOURCE, 'tasks.read'],
    ],
  )
  assert.deepEqual(loadConfig({ ...BASE, IDP_DEMO_POLICY: 'step-up' }).policy.rules[0]?.sensitive, {
    scopes: ['tasks.write'],
    max_age: 60,
  })
  assert.throws(
    () => loadConfig({ ...BASE, IDP_DEMO_POLICY: 'lenient' }),
    /IDP_DEMO_POLICY=lenient is not a policy of the data file; choose one of default, step-up/,
  )
  assert.match(String(loadConfig(BASE).policyStateFile), /\/\.demo\/idp-policy\.json$/)
  assert.match(
    String(loadConfig({ ...BASE, IDP_DEMO_POLICY: 'step-up' }).policyStateFile),
    /\/\.demo\/idp-policy\.step-up\.json$/,
  )
  assert.equal(loadConfig({ ...BASE, IDP_POLICY_STATE_FILE: 'off' }).policyStateFile, undefined)
})

/** The parts of apps/idp/demo-world.json these tests break on purpose. */
interface DemoWorldFile {
  users: Array<Record<string, unknown>>
  clients: Array<Record<string, unknown>>
  policy: { rules: Array<Record<string, unknown>> }
}

test('IDP-13 a broken data file (IDP_WORLD_FILE) stops the IdP with one line per problem, each naming the path, never echoing a secret', async () => {
  const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { tmpdir } = await import('node:os')
  const world = JSON.parse(readFileSync(new URL('../demo-world.json', import.meta.url), 'utf8')) as DemoWorldFile
  world.users[1]!.email = 'not-an-email'
  world.users.push({
    username: 'dave',
    password: 'p',
    sub: 'u-2',
    name: 'Dave',
    email: 'd@x.example',
    groups: ['ops'],
    shoeSize: 44,
  })
  world.policy.rules[1]!.scopes = ['tasks.delete']
  world.clients[0]!.redirect_uris = ['${NOT_A_SETTING}/callback']
  const file = join(mkdtempSync(join(tmpdir(), 'world-')), 'world.json')
  writeFileSync(file, JSON.stringify(world))
  assert.throws(
    () => loadConfig({ ...BASE, IDP_WORLD_FILE: file }),
    (error: unknown) => {
      assert.ok(error instanceof TypeError)
      assert.equal(
        error.message,
        `invalid IDP_WORLD_FILE ${file} at clients.0.redirect_uris.0: \${NOT_A_SETTING} is not a setting the file may use (IDP_ISSUER, AS_ISSUER, RS_RESOURCE, CLIENT_URL, ACME_AGENT_IDP_SECRET)`,
      )
      return true
    },
  )
  world.clients[0]!.redirect_uris = ['${CLIENT_URL}/callback']
  writeFileSync(file, JSON.stringify(world))
  assert.throws(
    () => loadConfig({ ...BASE, IDP_WORLD_FILE: file }),
    (error: unknown) => {
      assert.ok(error instanceof TypeError)
      const lines = error.message.split('\n')
      assert.deepEqual(
        lines.map((line) => line.replace(/: .*/, '')),
        [`invalid IDP_WORLD_FILE ${file} at users.1.email`, `invalid IDP_WORLD_FILE ${file} at users.4`],
      )
      return true
    },
  )
  world.users[1]!.email = 'bob@acme.example'
  world.users.pop()
  writeFileSync(file, JSON.stringify(world))
  assert.throws(() => loadConfig({ ...BASE, IDP_WORLD_FILE: file }), {
    message:
      /^invalid IDP_WORLD_FILE .* at policy\.rules\.1\.scopes\.0: https:\/\/mcp\.chat\.example\/mcp does not define "tasks\.delete"/,
  })
  writeFileSync(file, '{ not json')
  assert.throws(() => loadConfig({ ...BASE, IDP_WORLD_FILE: file }), /is not valid JSON/)
  assert.throws(
    () => loadConfig({ ...BASE, IDP_WORLD_FILE: join(file, 'missing') }),
    /cannot read IDP_WORLD_FILE .*: ENOTDIR/,
  )
})

test('IDP-13 main.ts refuses to start on a broken data file with one "cannot start" line per problem, and no stack trace', async () => {
  const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { tmpdir } = await import('node:os')
  const world = JSON.parse(readFileSync(new URL('../demo-world.json', import.meta.url), 'utf8')) as DemoWorldFile
  world.users[0]!.email = 'nope'
  world.users[1]!.groups = ['not a group name']
  const file = join(mkdtempSync(join(tmpdir(), 'world-')), 'world.json')
  writeFileSync(file, JSON.stringify(world))
  const env = { ...process.env, ...BASE, IDP_WORLD_FILE: file, IDP_POLICY_STATE_FILE: 'off', AUDIT_LOG: 'off' }
  const run = spawnSync(process.execPath, ['src/main.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env,
    encoding: 'utf8',
    timeout: 30_000,
  })
  assert.equal(run.status, 1)
  const lines = (run.stdout + run.stderr).split('\n').filter((line) => line.includes('cannot start'))
  assert.equal(lines.length, 2, run.stdout + run.stderr)
  assert.match(lines[0]!, /cannot start: invalid IDP_WORLD_FILE .* at users\.0\.email: /)
  assert.match(lines[1]!, /cannot start: invalid IDP_WORLD_FILE .* at users\.1\.groups\.0: /)
  assert.doesNotMatch(run.stdout + run.stderr, /\n\s+at /)
})

test('IDP_DEMO_ATTACKS is off by default; on, it adds the demo attack world and nothing else changes for Tasks (IDP-13, IDP-14, IDP-21)', () => {
  const plain = loadConfig(BASE)
  assert.equal(plain.demoAttacks, false)
  assert.equal(plain.authorizationServers.length, 1)
  assert.deepEqual(plain.clients[0]?.clientIdAtAuthorizationServer, {
    'https://auth.chat.example/': 'acme-agent-tasks',
  })

  const demo = loadConfig({ ...BASE, IDP_DEMO_ATTACKS: 'true' })
  assert.equal(demo.demoAttacks, true)
  assert.deepEqual(
    demo.authorizationServers.map((server) => server.issuer),
    ['https://auth.chat.example/', 'https://as.partner.example'],
  )
  assert.deepEqual(
    demo.authorizationServers[0]?.resources.map((server) => server.resource),
    ['https://mcp.chat.example/mcp', 'https://calendar.acme.example/mcp'],
  )
  assert.equal(demo.clients[0]?.clientIdAtAuthorizationServer['https://as.partner.example'], 'acme-agent-partner')
  // tasks.admin is defined for Tasks but no group is granted it.
  assert.ok(demo.policy.rules.every((rule) => !rule.scopes.includes('tasks.admin')))
  assert.deepEqual(
    demo.policy.rules.filter((rule) => rule.resource === 'https://mcp.chat.example/mcp'),
    plain.policy.rules,
  )
})
