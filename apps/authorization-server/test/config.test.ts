import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { generateSigningKey, publicJwks } from '@ema/tokens'
import { insecureHttpRule } from '@ema/test-kit'
import { loadConfig } from '../src/config.ts'

insecureHttpRule({
  role: 'authorization server',
  main: fileURLToPath(new URL('../src/main.ts', import.meta.url)),
  loadConfig,
  secureEnv: {
    AS_ISSUER: 'https://as.example',
    IDP_ISSUER: 'https://idp.example',
    RS_RESOURCE: 'https://tasks.example/mcp',
    AS_MTLS_CERT_FILE: 'cert.pem',
    AS_MTLS_KEY_FILE: 'key.pem',
    AS_MTLS_CA_FILE: 'ca.pem',
  },
  loopbackUrls: {
    AS_ISSUER: 'http://localhost:4002',
    IDP_ISSUER: 'http://127.0.0.1:4001',
    RS_RESOURCE: 'http://[::1]:4003/mcp',
  },
})

test('config defaults follow the demo world', () => {
  const config = loadConfig({ ALLOW_INSECURE_HTTP: 'true' })
  assert.equal(config.issuer, 'http://localhost:4002')
  assert.equal(config.port, 4002)
  assert.deepEqual(config.trustedIdps, [
    {
      issuer: 'http://localhost:4001',
      jwks_uri: 'http://localhost:4001/jwks',
      subject_namespace: 'acme', // AS-19
      client_ids: ['acme-agent-tasks'], // AS-16
    },
  ])
  assert.deepEqual(config.mcpServers, [
    { resource: 'http://localhost:4003/mcp', scopes: ['tasks.read', 'tasks.write'] },
  ])
  assert.equal(config.clients[0]?.client_id, 'acme-agent-tasks')
  assert.equal(config.accessTokenLifetimeSeconds, 600)
  assert.equal(config.clockSkewSeconds, 30)
})

test('AS-23 REPLAY_STORE_MAX_ENTRIES sizes the in-memory replay store (default 2,000,000); not a number is refused', () => {
  assert.equal(loadConfig({ ALLOW_INSECURE_HTTP: 'true' }).replayStoreMaxEntries, 2_000_000)
  assert.equal(
    loadConfig({ ALLOW_INSECURE_HTTP: 'true', REPLAY_STORE_MAX_ENTRIES: '5000' }).replayStoreMaxEntries,
    5000,
  )
  assert.throws(
    () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', REPLAY_STORE_MAX_ENTRIES: 'lots' }),
    /REPLAY_STORE_MAX_ENTRIES/,
  )
})

test('SEC config refuses plain-http URLs unless ALLOW_INSECURE_HTTP=true', () => {
  assert.throws(() => loadConfig({}), /ALLOW_INSECURE_HTTP/)
  assert.doesNotThrow(() =>
    loadConfig({
      AS_ISSUER: 'https://as.example',
      IDP_ISSUER: 'https://idp.example',
      RS_RESOURCE: 'https://tasks.example/mcp',
    }),
  )
})

test('AS-16 TRUSTED_IDPS adds an IdP by configuration only', () => {
  const config = loadConfig({
    AS_ISSUER: 'https://as.example',
    RS_RESOURCE: 'https://tasks.example/mcp',
    TRUSTED_IDPS: JSON.stringify([
      {
        issuer: 'https://idp.example',
        jwks_uri: 'https://idp.example/jwks',
        subject_namespace: 'acme',
        client_ids: ['acme-agent-tasks'],
      },
      {
        issuer: 'https://login.partner.example/tenant',
        jwks_uri: 'https://login.partner.example/tenant/keys',
        client_ids: ['acme-agent-tasks'],
      },
    ]),
  })
  assert.equal(config.trustedIdps.length, 2)
  assert.equal(config.trustedIdps[0]?.subject_namespace, 'acme')
  assert.equal(config.trustedIdps[1]?.subject_namespace, 'https://login.partner.example/tenant') // AS-19: defaults to the issuer
  assert.throws(
    () => loadConfig({ AS_ISSUER: 'https://as.example', TRUSTED_IDPS: '[{"issuer":"https://x"}]' }),
    /TRUSTED_IDPS/,
  )
})

const secure = { AS_ISSUER: 'https://as.example', RS_RESOURCE: 'https://tasks.example/mcp' }
const trusting = (...idps: Array<Record<string, unknown>>) => ({ ...secure, TRUSTED_IDPS: JSON.stringify(idps) })

test('AS-16 config requires client_ids for every trusted IdP', () => {
  assert.throws(() => loadConfig(trusting({ issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks' })), {
    name: 'TypeError',
    message: /^invalid TRUSTED_IDPS at 0\.client_ids: client_ids is required/,
  })
  assert.throws(
    () => loadConfig(trusting({ issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks', client_ids: [] })),
    /client_ids must name at least one registered client/,
  )
})

test('AS-16 config refuses client_ids naming a client that is not registered here', () => {
  assert.throws(
    () =>
      loadConfig(
        trusting({
          issuer: 'https://idp.example',
          jwks_uri: 'https://idp.example/jwks',
          client_ids: ['acme-agent-tasks', 'ghost-agent'],
        }),
      ),
    {
      name: 'TypeError',
      message:
        'invalid TRUSTED_IDPS: client_ids of https://idp.example names "ghost-agent", which is not a client registered in CLIENTS',
    },
  )
  // The demo default IdP vouches for acme-agent-tasks; replacing CLIENTS alone is refused, not silently widened.
  assert.throws(
    () =>
      loadConfig({
        ...secure,
        IDP_ISSUER: 'https://idp.example',
        CLIENTS: JSON.stringify([
          { client_id: 'other', client_secret: 's', token_endpoint_auth_method: 'client_secret_basic' },
        ]),
      }),
    /client_ids of https:\/\/idp\.example names "acme-agent-tasks".*set TRUSTED_IDPS/,
  )
})

test('AS-19 config refuses two trusted IdPs with the same subject_namespace', () => {
  assert.throws(
    () =>
      loadConfig(
        trusting(
          {
            issuer: 'https://idp.example',
            jwks_uri: 'https://idp.example/jwks',
            subject_namespace: 'acme',
            client_ids: ['acme-agent-tasks'],
          },
          {
            issuer: 'https://login.partner.example',
            jwks_uri: 'https://login.partner.example/keys',
            subject_namespace: 'acme',
            client_ids: ['acme-agent-tasks'],
          },
        ),
      ),
    {
      name: 'TypeError',
      message: /subject_namespace "acme" is used by both https:\/\/idp\.example and https:\/\/login\.partner\.example/,
    },
  )
})

test('AS-19 config refuses a subject_namespace containing "|"', () => {
  assert.throws(
    () =>
      loadConfig(
        trusting({
          issuer: 'https://idp.example',
          jwks_uri: 'https://idp.example/jwks',
          subject_namespace: 'ac|me',
          client_ids: ['acme-agent-tasks'],
        }),
      ),
    /subject_namespace must not contain "\|"/,
  )
})

test('AS-16 config refuses the same issuer listed twice', () => {
  const idp = { issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks', client_ids: ['acme-agent-tasks'] }
  assert.throws(
    () => loadConfig(trusting({ ...idp, subject_namespace: 'a' }, { ...idp, subject_namespace: 'b' })),
    /issuer https:\/\/idp\.example is listed twice/,
  )
})

test('AS-16 AS-19 main.ts reports a configuration error in one line and exits 1', () => {
  const env = {
    ...process.env,
    ...trusting({ issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks', client_ids: ['ghost-agent'] }),
  }
  const run = spawnSync(process.execPath, ['src/main.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env,
    encoding: 'utf8',
    timeout: 30_000,
  })
  assert.equal(run.status, 1)
  const output = run.stdout + run.stderr
  assert.match(output, /cannot start: invalid TRUSTED_IDPS: client_ids of https:\/\/idp\.example names "ghost-agent"/)
  assert.doesNotMatch(output, /\n\s+at /) // no stack trace
})

/** The agent CLI's public JWK Set, as `npm start` passes it in AGENT_CLI_JWKS. */
async function agentCliJwks(): Promise<{ keys: Array<Record<string, unknown>> }> {
  return publicJwks([await generateSigningKey('ES256')])
}

test("AS-16 OBO-10 without AGENT_CLI_JWKS (unset or empty) the defaults register only acme-agent-tasks and the MCP server's tasks-mcp-server", () => {
  for (const value of [undefined, '', ' ']) {
    const config = loadConfig({
      ALLOW_INSECURE_HTTP: 'true',
      ...(value === undefined ? {} : { AGENT_CLI_JWKS: value }),
    })
    assert.deepEqual(
      config.clients.map((client) => client.client_id),
      ['acme-agent-tasks', 'tasks-mcp-server'],
    )
    assert.deepEqual(config.trustedIdps[0]?.client_ids, ['acme-agent-tasks'])
  }
})

test("AS-08 AS-10 AS-16 AGENT_CLI_JWKS adds acme-agent-cli-tasks (private_key_jwt) to the default clients and to the default IdP's client_ids", async () => {
  const jwks = await agentCliJwks()
  const config = loadConfig({ ALLOW_INSECURE_HTTP: 'true', AGENT_CLI_JWKS: JSON.stringify(jwks) })
  assert.deepEqual(config.clients, [
    {
      client_id: 'acme-agent-tasks',
      client_secret: 'acme-agent-as-secret',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    { client_id: 'acme-agent-cli-tasks', token_endpoint_auth_method: 'private_key_jwt', jwks },
    {
      client_id: 'tasks-mcp-server',
      client_secret: 'tasks-mcp-server-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      token_exchange: { allow_any_profile_of_type: ['on_behalf_of_token_exchange'] },
      resource_server_identifier: 'http://localhost:4003/mcp',
    },
  ])
  assert.deepEqual(config.trustedIdps[0]?.client_ids, ['acme-agent-tasks', 'acme-agent-cli-tasks']) // AS-16
})

test('AS-16 AGENT_CLI_JWKS adds nothing to an explicit CLIENTS or TRUSTED_IDPS', async () => {
  const AGENT_CLI_JWKS = JSON.stringify(await agentCliJwks())
  const clients = JSON.stringify([
    { client_id: 'acme-agent-tasks', client_secret: 's', token_endpoint_auth_method: 'client_secret_basic' },
  ])
  // CLIENTS given: no CLI client, and the default IdP vouches for acme-agent-tasks only.
  const withClients = loadConfig({ ...secure, IDP_ISSUER: 'https://idp.example', CLIENTS: clients, AGENT_CLI_JWKS })
  assert.deepEqual(
    withClients.clients.map((client) => client.client_id),
    ['acme-agent-tasks'],
  )
  assert.deepEqual(withClients.trustedIdps[0]?.client_ids, ['acme-agent-tasks'])
  // TRUSTED_IDPS given: the CLI is registered (default CLIENTS), but only the configured client_ids are trusted.
  const withIdps = loadConfig({
    ...trusting({
      issuer: 'https://idp.example',
      jwks_uri: 'https://idp.example/jwks',
      client_ids: ['acme-agent-tasks'],
    }),
    AGENT_CLI_JWKS,
  })
  assert.deepEqual(
    withIdps.clients.map((client) => client.client_id),
    ['acme-agent-tasks', 'acme-agent-cli-tasks', 'tasks-mcp-server'],
  )
  assert.deepEqual(withIdps.trustedIdps[0]?.client_ids, ['acme-agent-tasks'])
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
    [JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'x', alg: 'HS256' }] }), /private member "k"/],
    [JSON.stringify({ keys: [] }), /^invalid AGENT_CLI_JWKS at keys: it holds no keys/],
    [JSON.stringify(key), /^invalid AGENT_CLI_JWKS at keys/], // a bare JWK, not a set
    [JSON.stringify({ keys: [{ ...key, kid: undefined }] }), /^invalid AGENT_CLI_JWKS at keys\.0\.kid/],
    [JSON.stringify({ keys: [{ ...key, alg: 'ES384' }] }), /^invalid AGENT_CLI_JWKS at keys\.0\.alg/],
    [
      JSON.stringify({ keys: [{ ...key, y: key?.x }] }),
      /^invalid AGENT_CLI_JWKS: key 0 is not a valid P-256 public key/,
    ],
    [JSON.stringify({ keys: [key, key] }), /^invalid AGENT_CLI_JWKS: kid ".+" is used twice/],
  ]
  for (const [value, message] of refused) {
    assert.throws(
      () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', AGENT_CLI_JWKS: value }),
      { name: 'TypeError', message },
      value,
    )
    // … even when CLIENTS replaces the defaults and the keys would not be used.
    assert.throws(
      () => loadConfig({ ...secure, CLIENTS: '[]', AGENT_CLI_JWKS: value }),
      { name: 'TypeError', message },
      value,
    )
  }
})

test('CL-49 main.ts refuses to start with a private key in AGENT_CLI_JWKS, in one line naming it', async () => {
  const privateJwk = (await generateSigningKey('ES256')).privateJwk
  const env = { ...process.env, ALLOW_INSECURE_HTTP: 'true', AGENT_CLI_JWKS: JSON.stringify({ keys: [privateJwk] }) }
  const run = spawnSync(process.execPath, ['src/main.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env,
    encoding: 'utf8',
    timeout: 30_000,
  })
  assert.equal(run.status, 1)
  const output = run.stdout + run.stderr
  assert.match(output, /cannot start: AGENT_CLI_JWKS must hold public keys only/)
  assert.doesNotMatch(output, /\n\s+at /)
  assert.doesNotMatch(output, new RegExp(String(privateJwk.d)))
})

test('LOG_LEVEL is honoured: a level is taken, unset or empty is info, anything else is refused naming it', () => {
  assert.equal(loadConfig({ ALLOW_INSECURE_HTTP: 'true', LOG_LEVEL: 'warn' }).logLevel, 'warn')
  assert.equal(loadConfig({ ALLOW_INSECURE_HTTP: 'true', LOG_LEVEL: '' }).logLevel, 'info')
  assert.throws(
    () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', LOG_LEVEL: 'loud' }),
    /LOG_LEVEL must be one of debug, info, warn, error/,
  )
})

test('AS_DEMO_ATTACKS is off by default; on, it registers the Calendar MCP server and the client other-agent', () => {
  const env = { ALLOW_INSECURE_HTTP: 'true' }
  const plain = loadConfig(env)
  assert.equal(plain.demoAttacks, false)
  assert.ok(!plain.clients.some((client) => client.client_id === 'other-agent'))
  assert.equal(plain.mcpServers.length, 1)
  const demo = loadConfig({ ...env, AS_DEMO_ATTACKS: 'true' })
  assert.equal(demo.demoAttacks, true)
  assert.ok(
    demo.clients.some(
      (client) => client.client_id === 'other-agent' && client.token_endpoint_auth_method === 'client_secret_basic',
    ),
  )
  assert.deepEqual(
    demo.mcpServers.map((server) => server.resource),
    ['http://localhost:4003/mcp', 'https://calendar.acme.example/mcp'],
  )
  // The trusted IdP still vouches only for the demo clients (AS-16).
  assert.ok(!demo.trustedIdps[0]?.client_ids.includes('other-agent'))
})
