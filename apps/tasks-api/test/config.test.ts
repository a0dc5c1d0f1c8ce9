import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { insecureHttpRule } from '@ema/test-kit'
import { loadConfig } from '../src/config.ts'

insecureHttpRule({
  role: 'Tasks API',
  main: fileURLToPath(new URL('../src/main.ts', import.meta.url)),
  loadConfig,
  secureEnv: { TASKS_API_URL: 'https://tasks-api.example', AS_ISSUER: 'https://as.example' },
  loopbackUrls: {
    TASKS_API_URL: 'http://localhost:4004',
    AS_ISSUER: 'http://127.0.0.1:4002',
    AS_JWKS_URI: 'http://[::1]:4002/jwks',
  },
})

test('OBO-18 defaults follow the demo world; the identifier is canonical and the port comes from it', () => {
  const config = loadConfig({ ALLOW_INSECURE_HTTP: 'true' })
  assert.equal(config.identifier, 'http://localhost:4004')
  assert.equal(config.port, 4004)
  assert.deepEqual(config.authorizationServer, {
    issuer: 'http://localhost:4002',
    jwksUri: 'http://localhost:4002/jwks',
  })
  assert.deepEqual(config.allowedActors, ['tasks-mcp-server'])
  assert.equal(config.accessTokenCacheEntries, 10_000) // decision 0100
  assert.equal(
    loadConfig({ TASKS_API_URL: 'HTTPS://API.example/v1/', AS_ISSUER: 'https://as.example' }).identifier,
    'https://api.example/v1',
  )
  assert.equal(
    loadConfig({ TASKS_API_URL: 'https://api.example', TASKS_API_PORT: '8080', AS_ISSUER: 'https://as.example' }).port,
    8080,
  )
})

test('OBO-13 a configuration mistake is one TypeError naming the variable', () => {
  const secure = { TASKS_API_URL: 'https://api.example', AS_ISSUER: 'https://as.example' }
  assert.throws(
    () => loadConfig({ ...secure, TASKS_API_ALLOWED_ACTORS: ' , ' }),
    /^TypeError: invalid TASKS_API_ALLOWED_ACTORS: names no actor/,
  )
  assert.throws(
    () => loadConfig({ ...secure, ACCESS_TOKEN_CACHE_ENTRIES: 'all' }),
    /^TypeError: invalid ACCESS_TOKEN_CACHE_ENTRIES: must be a whole number/,
  )
  assert.throws(
    () => loadConfig({ ...secure, TASKS_API_PORT: 'eighty' }),
    /^TypeError: TASKS_API_PORT must be a port number/,
  )
  assert.throws(
    () => loadConfig({ ...secure, TASKS_API_URL: 'https://api.example/?q=1' }),
    /^TypeError: TASKS_API_URL must not have a query/,
  )
  assert.throws(
    () => loadConfig({ ...secure, TASKS_API_URL: 'https://api.example/#f' }),
    /^TypeError: TASKS_API_URL must not have a fragment/,
  )
})
