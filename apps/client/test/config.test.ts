import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { insecureHttpRule } from '@ema/test-kit'
import { loadConfig } from '../src/config.ts'

insecureHttpRule({
  role: 'client app',
  main: fileURLToPath(new URL('../src/main.ts', import.meta.url)),
  loadConfig,
  secureEnv: {
    CLIENT_URL: 'https://agent.example',
    IDP_ISSUER: 'https://idp.example',
    RS_RESOURCE: 'https://tasks.example/mcp',
    AS_ISSUER: 'https://as.example',
    TASKS_API_URL: 'https://tasks-api.example',
    DEMO_RESET: 'true',
    DEMO_RESET_SECRET: 'a-demo-reset-secret',
  },
  loopbackUrls: {
    CLIENT_URL: 'http://localhost:3000',
    IDP_ISSUER: 'http://localhost:4001',
    RS_RESOURCE: 'http://127.0.0.1:4003/mcp',
    AS_ISSUER: 'http://[::1]:4002',
    TASKS_API_URL: 'http://localhost:4004',
  },
})

describe('loadConfig', () => {
  test('defaults follow the demo world', () => {
    const config = loadConfig({ ALLOW_INSECURE_HTTP: 'true' })
    assert.equal(config.clientUrl, 'http://localhost:3000')
    assert.equal(config.port, 3000)
    assert.equal(config.idpIssuer, 'http://localhost:4001')
    assert.equal(config.mcpServerUrl, 'http://localhost:4003/mcp')
    assert.equal(config.expectedAuthorizationServer, 'http://localhost:4002')
    assert.deepEqual(config.idpClient, {
      clientId: 'acme-agent',
      clientSecret: 'acme-agent-idp-secret',
      privateJwk: undefined,
      authMethod: undefined,
    })
    assert.deepEqual(config.authorizationServerClient, {
      clientId: 'acme-agent-tasks',
      clientSecret: 'acme-agent-as-secret',
      privateJwk: undefined,
      authMethod: undefined,
    })
    assert.equal(config.scope, 'tasks.read tasks.write')
  })

  test('CL-48 refuses http URLs unless ALLOW_INSECURE_HTTP=true', () => {
    assert.throws(() => loadConfig({}), /ALLOW_INSECURE_HTTP/)
    assert.doesNotThrow(() =>
      loadConfig({
        CLIENT_URL: 'https://agent.example',
        IDP_ISSUER: 'https://idp.example',
        RS_RESOURCE: 'https://tasks.example/mcp',
        AS_ISSUER: 'https://as.example',
      }),
    )
  })

  test('CL-50 refuses URLs with userinfo or a fragment', () => {
    assert.throws(
      () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', IDP_ISSUER: 'http://user:pw@localhost:4001' }),
      /userinfo/,
    )
    assert.throws(
      () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', RS_RESOURCE: 'http://localhost:4003/mcp#x' }),
      /fragment/,
    )
  })

  test('takes the port from CLIENT_URL and accepts client_secret_post', () => {
    const config = loadConfig({
      ALLOW_INSECURE_HTTP: 'true',
      CLIENT_URL: 'http://localhost:3999',
      AS_CLIENT_AUTH_METHOD: 'client_secret_post',
    })
    assert.equal(config.port, 3999)
    assert.equal(config.authorizationServerClient.authMethod, 'client_secret_post')
    assert.throws(() => loadConfig({ ALLOW_INSECURE_HTTP: 'true', IDP_CLIENT_AUTH_METHOD: 'none' }), /must be one of/)
  })

  test('CL-28 a private JWK per registration: the demo secret is dropped, and a pinned method needs its credential', () => {
    const jwk = JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd', alg: 'ES256' })
    const config = loadConfig({
      ALLOW_INSECURE_HTTP: 'true',
      AS_CLIENT_ID: 'acme-agent-cli-tasks',
      AS_CLIENT_PRIVATE_JWK: jwk,
    })
    assert.equal(config.authorizationServerClient.clientId, 'acme-agent-cli-tasks')
    assert.equal(config.authorizationServerClient.privateJwk?.d, 'd')
    assert.equal(config.authorizationServerClient.clientSecret, undefined)
    assert.equal(config.idpClient.clientSecret, 'acme-agent-idp-secret') // the other leg is untouched
    assert.throws(
      () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', AS_CLIENT_PRIVATE_JWK: '{not json' }),
      /AS_CLIENT_PRIVATE_JWK is not valid JSON/,
    )
    assert.throws(
      () =>
        loadConfig({
          ALLOW_INSECURE_HTTP: 'true',
          AS_CLIENT_PRIVATE_JWK: JSON.stringify({ kty: 'EC', x: 'x', alg: 'ES256' }),
        }),
      /private JWK/,
    )
    assert.throws(
      () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', IDP_CLIENT_PRIVATE_JWK: JSON.stringify({ kty: 'EC', d: 'd' }) }),
      /"alg"/,
    )
    assert.throws(
      () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', IDP_CLIENT_AUTH_METHOD: 'private_key_jwt' }),
      /IDP_CLIENT_PRIVATE_JWK is not set/,
    )
  })
})

test('LOG_LEVEL is honoured: a level is taken, unset or empty is info, anything else is refused naming it', () => {
  assert.equal(loadConfig({ ALLOW_INSECURE_HTTP: 'true', LOG_LEVEL: 'warn' }).logLevel, 'warn')
  assert.equal(loadConfig({ ALLOW_INSECURE_HTTP: 'true' }).logLevel, 'info')
  assert.throws(
    () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', LOG_LEVEL: 'loud' }),
    /LOG_LEVEL must be one of debug, info, warn, error/,
  )
})
