import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../src/config.ts'

test('config defaults follow the demo world', () => {
  const config = loadConfig({ ALLOW_INSECURE_HTTP: 'true' })
  assert.equal(config.issuer, 'http://localhost:4002')
  assert.equal(config.port, 4002)
  assert.deepEqual(config.trustedIdps, [{
    issuer: 'http://localhost:4001',
    jwks_uri: 'http://localhost:4001/jwks',
    subject_namespace: 'acme', // AS-19
    client_ids: ['acme-agent-tasks'], // AS-16
  }])
  assert.deepEqual(config.mcpServers, [{ resource: 'http://localhost:4003/mcp', scopes: ['tasks.read', 'tasks.write'] }])
  assert.equal(config.clients[0]?.client_id, 'acme-agent-tasks')
  assert.equal(config.accessTokenLifetimeSeconds, 600)
  assert.equal(config.clockSkewSeconds, 30)
})

test('SEC config refuses plain-http URLs unless ALLOW_INSECURE_HTTP=true', () => {
  assert.throws(() => loadConfig({}), /ALLOW_INSECURE_HTTP/)
  assert.doesNotThrow(() => loadConfig({
    AS_ISSUER: 'https://as.example', IDP_ISSUER: 'https://idp.example', RS_RESOURCE: 'https://tasks.example/mcp',
  }))
})

test('AS-16 TRUSTED_IDPS adds an IdP by configuration only', () => {
  const config = loadConfig({
    AS_ISSUER: 'https://as.example',
    RS_RESOURCE: 'https://tasks.example/mcp',
    TRUSTED_IDPS: JSON.stringify([
      { issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks', subject_namespace: 'acme', client_ids: ['acme-agent-tasks'] },
      { issuer: 'https://login.partner.example/tenant', jwks_uri: 'https://login.partner.example/tenant/keys', client_ids: ['acme-agent-tasks'] },
    ]),
  })
  assert.equal(config.trustedIdps.length, 2)
  assert.equal(config.trustedIdps[0]?.subject_namespace, 'acme')
  assert.equal(config.trustedIdps[1]?.subject_namespace, 'https://login.partner.example/tenant') // AS-19: defaults to the issuer
  assert.throws(() => loadConfig({ AS_ISSUER: 'https://as.example', TRUSTED_IDPS: '[{"issuer":"https://x"}]' }), /TRUSTED_IDPS/)
})

const secure = { AS_ISSUER: 'https://as.example', RS_RESOURCE: 'https://tasks.example/mcp' }
const trusting = (...idps: Array<Record<string, unknown>>) => ({ ...secure, TRUSTED_IDPS: JSON.stringify(idps) })

test('AS-16 config requires client_ids for every trusted IdP', () => {
  assert.throws(
    () => loadConfig(trusting({ issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks' })),
    { name: 'TypeError', message: /^invalid TRUSTED_IDPS at 0\.client_ids: client_ids is required/ },
  )
  assert.throws(
    () => loadConfig(trusting({ issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks', client_ids: [] })),
    /client_ids must name at least one registered client/,
  )
})

test('AS-16 config refuses client_ids naming a client that is not registered here', () => {
  assert.throws(
    () => loadConfig(trusting({ issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks', client_ids: ['acme-agent-tasks', 'ghost-agent'] })),
    { name: 'TypeError', message: 'invalid TRUSTED_IDPS: client_ids of https://idp.example names "ghost-agent", which is not a client registered in CLIENTS' },
  )
  // The demo default IdP vouches for acme-agent-tasks; replacing CLIENTS alone is refused, not silently widened.
  assert.throws(
    () => loadConfig({ ...secure, IDP_ISSUER: 'https://idp.example', CLIENTS: JSON.stringify([{ client_id: 'other', client_secret: 's', token_endpoint_auth_method: 'client_secret_basic' }]) }),
    /client_ids of https:\/\/idp\.example names "acme-agent-tasks".*set TRUSTED_IDPS/,
  )
})

test('AS-19 config refuses two trusted IdPs with the same subject_namespace', () => {
  assert.throws(
    () => loadConfig(trusting(
      { issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks', subject_namespace: 'acme', client_ids: ['acme-agent-tasks'] },
      { issuer: 'https://login.partner.example', jwks_uri: 'https://login.partner.example/keys', subject_namespace: 'acme', client_ids: ['acme-agent-tasks'] },
    )),
    { name: 'TypeError', message: /subject_namespace "acme" is used by both https:\/\/idp\.example and https:\/\/login\.partner\.example/ },
  )
})

test('AS-19 config refuses a subject_namespace containing "|"', () => {
  assert.throws(
    () => loadConfig(trusting({ issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks', subject_namespace: 'ac|me', client_ids: ['acme-agent-tasks'] })),
    /subject_namespace must not contain "\|"/,
  )
})

test('AS-16 config refuses the same issuer listed twice', () => {
  const idp = { issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks', client_ids: ['acme-agent-tasks'] }
  assert.throws(() => loadConfig(trusting({ ...idp, subject_namespace: 'a' }, { ...idp, subject_namespace: 'b' })), /issuer https:\/\/idp\.example is listed twice/)
})

test('AS-16 AS-19 main.ts reports a configuration error in one line and exits 1', () => {
  const env = { ...process.env, ...trusting({ issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks', client_ids: ['ghost-agent'] }) }
  const run = spawnSync(process.execPath, ['src/main.ts'], { cwd: fileURLToPath(new URL('..', import.meta.url)), env, encoding: 'utf8', timeout: 10_000 })
  assert.equal(run.status, 1)
  const output = run.stdout + run.stderr
  assert.match(output, /cannot start: invalid TRUSTED_IDPS: client_ids of https:\/\/idp\.example names "ghost-agent"/)
  assert.doesNotMatch(output, /\n\s+at /) // no stack trace
})
