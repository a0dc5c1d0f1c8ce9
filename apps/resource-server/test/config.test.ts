import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../src/config.ts'

test('config defaults follow the demo world', () => {
  const config = loadConfig({ ALLOW_INSECURE_HTTP: 'true' })
  assert.equal(config.resource, 'http://localhost:4003/mcp')
  assert.equal(config.port, 4003)
  assert.equal(config.mcpPath, '/mcp')
  assert.deepEqual(config.authorizationServer, { issuer: 'http://localhost:4002', jwksUri: 'http://localhost:4002/jwks' })
  assert.deepEqual(config.allowedOrigins, ['http://localhost:3000'])
  assert.deepEqual(config.toolScopes, { whoami: null, list_tasks: 'tasks.read', add_task: 'tasks.write' })
})

test('config refuses plain-http URLs unless ALLOW_INSECURE_HTTP=true', () => {
  assert.throws(() => loadConfig({}), /ALLOW_INSECURE_HTTP/)
  assert.throws(() => loadConfig({ ALLOW_INSECURE_HTTP: 'yes' }), /ALLOW_INSECURE_HTTP/)
  const config = loadConfig({ RS_RESOURCE: 'https://tasks.example/mcp', AS_ISSUER: 'https://as.example', CLIENT_URL: 'https://agent.example' })
  assert.equal(config.allowInsecureHttp, false)
  assert.equal(config.port, 443)
  assert.deepEqual(config.allowedOrigins, ['https://agent.example', 'http://localhost:3000'])
})

test('RS-16 the resource identifier is canonical: lowercase scheme and host, no trailing slash, no fragment', () => {
  const config = loadConfig({ RS_RESOURCE: 'HTTPS://Tasks.Example:8443/mcp/', AS_ISSUER: 'https://as.example', CLIENT_URL: 'https://agent.example' })
  assert.equal(config.resource, 'https://tasks.example:8443/mcp')
  assert.equal(config.port, 8443)
  assert.throws(() => loadConfig({ RS_RESOURCE: 'https://tasks.example/mcp#x', AS_ISSUER: 'https://as.example', CLIENT_URL: 'https://agent.example' }), /fragment/)
})

test('config takes AS_JWKS_URI, RS_PORT and RS_ALLOWED_ORIGINS overrides', () => {
  const config = loadConfig({ ALLOW_INSECURE_HTTP: 'true', AS_JWKS_URI: 'http://localhost:4002/keys', RS_PORT: '9000', RS_ALLOWED_ORIGINS: 'http://a.test, http://b.test' })
  assert.equal(config.authorizationServer.jwksUri, 'http://localhost:4002/keys')
  assert.equal(config.port, 9000)
  assert.deepEqual(config.allowedOrigins, ['http://a.test', 'http://b.test'])
})

test('LOG_LEVEL is honoured: a level is taken, unset or empty is info, anything else is refused naming it', () => {
  assert.equal(loadConfig({ ALLOW_INSECURE_HTTP: 'true', LOG_LEVEL: 'warn' }).logLevel, 'warn')
  assert.equal(loadConfig({ ALLOW_INSECURE_HTTP: 'true' }).logLevel, 'info')
  assert.throws(() => loadConfig({ ALLOW_INSECURE_HTTP: 'true', LOG_LEVEL: 'loud' }), /LOG_LEVEL must be one of debug, info, warn, error/)
})
