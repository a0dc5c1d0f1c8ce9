import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { insecureHttpRule } from '@ema/test-kit'
import { loadConfig } from '../src/config.ts'

insecureHttpRule({
  role: 'MCP server',
  main: fileURLToPath(new URL('../src/main.ts', import.meta.url)),
  loadConfig,
  secureEnv: {
    RS_RESOURCE: 'https://tasks.example/mcp',
    AS_ISSUER: 'https://as.example',
    CLIENT_URL: 'https://agent.example',
    TASKS_API_URL: 'https://tasks-api.example',
    TOKEN_EXCHANGE_CLIENT_SECRET: 'tasks-mcp-server-secret',
    TOKEN_INTROSPECTION: 'on',
  },
  loopbackUrls: {
    RS_RESOURCE: 'http://localhost:4003/mcp',
    AS_ISSUER: 'http://localhost:4002',
    AS_JWKS_URI: 'http://127.0.0.1:4002/jwks',
    CLIENT_URL: 'http://localhost:3000',
    TASKS_API_URL: 'http://localhost:4004',
    TOKEN_EXCHANGE_URL: 'http://localhost:4002/token',
    TOKEN_INTROSPECTION_URL: 'http://[::1]:4002/introspect',
  },
})

test('config defaults follow the demo world', () => {
  const config = loadConfig({ ALLOW_INSECURE_HTTP: 'true' })
  assert.equal(config.resource, 'http://localhost:4003/mcp')
  assert.equal(config.port, 4003)
  assert.equal(config.mcpPath, '/mcp')
  assert.deepEqual(config.authorizationServer, {
    issuer: 'http://localhost:4002',
    jwksUri: 'http://localhost:4002/jwks',
  })
  assert.deepEqual(config.allowedOrigins, ['http://localhost:3000'])
  assert.deepEqual(config.toolScopes, { whoami: null, list_tasks: 'tasks.read', add_task: 'tasks.write' })
})

test('config refuses plain-http URLs unless ALLOW_INSECURE_HTTP=true', () => {
  assert.throws(() => loadConfig({}), /ALLOW_INSECURE_HTTP/)
  assert.throws(() => loadConfig({ ALLOW_INSECURE_HTTP: 'yes' }), /ALLOW_INSECURE_HTTP/)
  const config = loadConfig({
    RS_RESOURCE: 'https://tasks.example/mcp',
    AS_ISSUER: 'https://as.example',
    CLIENT_URL: 'https://agent.example',
    TASKS_API_URL: 'https://tasks-api.example',
  })
  assert.equal(config.allowInsecureHttp, false)
  assert.equal(config.port, 443)
  assert.deepEqual(config.allowedOrigins, ['https://agent.example', 'http://localhost:3000'])
})

test('RS-16 the resource identifier is canonical: lowercase scheme and host, no trailing slash, no fragment', () => {
  const config = loadConfig({
    RS_RESOURCE: 'HTTPS://Tasks.Example:8443/mcp/',
    AS_ISSUER: 'https://as.example',
    CLIENT_URL: 'https://agent.example',
    TASKS_API_URL: 'https://tasks-api.example',
  })
  assert.equal(config.resource, 'https://tasks.example:8443/mcp')
  assert.equal(config.port, 8443)
  assert.throws(
    () =>
      loadConfig({
        RS_RESOURCE: 'https://tasks.example/mcp#x',
        AS_ISSUER: 'https://as.example',
        CLIENT_URL: 'https://agent.example',
        TASKS_API_URL: 'https://tasks-api.example',
      }),
    /fragment/,
  )
})

test('config takes AS_JWKS_URI, RS_PORT and RS_ALLOWED_ORIGINS overrides', () => {
  const config = loadConfig({
    ALLOW_INSECURE_HTTP: 'true',
    AS_JWKS_URI: 'http://localhost:4002/keys',
    RS_PORT: '9000',
    RS_ALLOWED_ORIGINS: 'http://a.test, http://b.test',
  })
  assert.equal(config.authorizationServer.jwksUri, 'http://localhost:4002/keys')
  assert.equal(config.port, 9000)
  assert.deepEqual(config.allowedOrigins, ['http://a.test', 'http://b.test'])
})

test('LOG_LEVEL is honoured: a level is taken, unset or empty is info, anything else is refused naming it', () => {
  assert.equal(loadConfig({ ALLOW_INSECURE_HTTP: 'true', LOG_LEVEL: 'warn' }).logLevel, 'warn')
  assert.equal(loadConfig({ ALLOW_INSECURE_HTTP: 'true' }).logLevel, 'info')
  assert.throws(
    () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', LOG_LEVEL: 'loud' }),
    /LOG_LEVEL must be one of debug, info, warn, error/,
  )
})

test('OBO-05 OBO-07 OBO-21 the downstream defaults: the Tasks API at :4004, the AS mTLS alias, no client credentials, no trace', () => {
  const config = loadConfig({ ALLOW_INSECURE_HTTP: 'true' })
  assert.equal(config.tasksApi.url, 'http://localhost:4004')
  assert.deepEqual(config.tasksApi.toolScopes, {
    whoami: 'tasks.read',
    list_tasks: 'tasks.read',
    add_task: 'tasks.write',
  })
  assert.equal(config.tokenExchange, undefined)
  assert.equal(config.downstreamTimeoutMs, 10_000)
  assert.equal(config.traceDownstream, false)
  assert.throws(
    () =>
      loadConfig({
        RS_RESOURCE: 'https://tasks.example/mcp',
        AS_ISSUER: 'https://as.example',
        CLIENT_URL: 'https://agent.example',
      }),
    /TASKS_API_URL/,
  )
})

test('OBO-07 OBO-21 TOKEN_EXCHANGE_CLIENT_CERT_FILE/_KEY_FILE make an mTLS client; TOKEN_EXCHANGE_CLIENT_SECRET a client_secret_basic one; both is refused', () => {
  const mtls = loadConfig({
    ALLOW_INSECURE_HTTP: 'true',
    TOKEN_EXCHANGE_CLIENT_CERT_FILE: '/pki/c.pem',
    TOKEN_EXCHANGE_CLIENT_KEY_FILE: '/pki/k.pem',
    TOKEN_EXCHANGE_CA_FILE: '/pki/ca.pem',
    MCP_TRACE_DOWNSTREAM: 'true',
  })
  assert.deepEqual(mtls.tokenExchange, {
    tokenUrl: 'https://localhost:4012/token',
    clientId: 'tasks-mcp-server',
    audience: 'http://localhost:4004',
    timeoutMs: 10_000,
    stsName: 'the authorization server',
    maxCacheEntries: 1000,
    clientCertificate: { certFile: '/pki/c.pem', keyFile: '/pki/k.pem', caFile: '/pki/ca.pem' },
  })
  assert.equal(mtls.traceDownstream, true)
  const secret = loadConfig({
    ALLOW_INSECURE_HTTP: 'true',
    TOKEN_EXCHANGE_URL: 'http://localhost:4002/token',
    TOKEN_EXCHANGE_CLIENT_SECRET: 's3cret',
    TASKS_API_URL: 'http://localhost:5104/',
    DOWNSTREAM_TIMEOUT_MS: '2000',
  })
  assert.equal(secret.tokenExchange?.clientSecret, 's3cret')
  assert.equal(secret.tokenExchange?.tokenUrl, 'http://localhost:4002/token')
  assert.equal(secret.tokenExchange?.audience, 'http://localhost:5104')
  assert.equal(secret.tokenExchange?.timeoutMs, 2000)
  assert.equal(
    loadConfig({ ALLOW_INSECURE_HTTP: 'true', TOKEN_EXCHANGE_CLIENT_SECRET: 's', TOKEN_EXCHANGE_CACHE_ENTRIES: '0' })
      .tokenExchange?.maxCacheEntries,
    0,
  ) // OBO-17 off
  assert.throws(
    () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', TOKEN_EXCHANGE_CACHE_ENTRIES: 'many' }),
    /TOKEN_EXCHANGE_CACHE_ENTRIES/,
  )
  // Decision 0100: verified access tokens remembered, 10000 by default, 0 for none.
  assert.equal(loadConfig({ ALLOW_INSECURE_HTTP: 'true' }).accessTokenCacheEntries, 10_000)
  assert.equal(loadConfig({ ALLOW_INSECURE_HTTP: 'true', ACCESS_TOKEN_CACHE_ENTRIES: '0' }).accessTokenCacheEntries, 0)
  assert.throws(
    () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', ACCESS_TOKEN_CACHE_ENTRIES: '-5' }),
    /ACCESS_TOKEN_CACHE_ENTRIES/,
  )
  assert.throws(
    () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', ACCESS_TOKEN_CACHE_ENTRIES: '1000001' }),
    /ACCESS_TOKEN_CACHE_ENTRIES: must be from 0 to 1000000/,
  )
  assert.throws(
    () =>
      loadConfig({
        ALLOW_INSECURE_HTTP: 'true',
        TOKEN_EXCHANGE_CLIENT_SECRET: 's',
        TOKEN_EXCHANGE_CLIENT_CERT_FILE: 'c',
        TOKEN_EXCHANGE_CLIENT_KEY_FILE: 'k',
      }),
    /not both/,
  )
  assert.throws(
    () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', TOKEN_EXCHANGE_CLIENT_CERT_FILE: 'c' }),
    /both TOKEN_EXCHANGE_CLIENT_CERT_FILE and TOKEN_EXCHANGE_CLIENT_KEY_FILE/,
  )
  assert.throws(
    () =>
      loadConfig({
        ALLOW_INSECURE_HTTP: 'true',
        TOKEN_EXCHANGE_URL: 'http://localhost:4002/token',
        TOKEN_EXCHANGE_CLIENT_CERT_FILE: 'c',
        TOKEN_EXCHANGE_CLIENT_KEY_FILE: 'k',
      }),
    /must be https for mTLS/,
  )
  assert.throws(() => loadConfig({ ALLOW_INSECURE_HTTP: 'true', MCP_TRACE_DOWNSTREAM: 'yes' }), /MCP_TRACE_DOWNSTREAM/)
})
