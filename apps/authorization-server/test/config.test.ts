import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from '../src/config.ts'

test('config defaults follow the demo world', () => {
  const config = loadConfig({ ALLOW_INSECURE_HTTP: 'true' })
  assert.equal(config.issuer, 'http://localhost:4002')
  assert.equal(config.port, 4002)
  assert.deepEqual(config.trustedIdps, [{ issuer: 'http://localhost:4001', jwks_uri: 'http://localhost:4001/jwks' }])
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
      { issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks' },
      { issuer: 'https://login.partner.example/tenant', jwks_uri: 'https://login.partner.example/tenant/keys' },
    ]),
  })
  assert.equal(config.trustedIdps.length, 2)
  assert.throws(() => loadConfig({ AS_ISSUER: 'https://as.example', TRUSTED_IDPS: '[{"issuer":"https://x"}]' }), /TRUSTED_IDPS/)
})
