import assert from 'node:assert/strict'
import { test } from 'node:test'
import { insecureHttpRule } from '@ema/test-kit'
import { loadAgentConfig } from '../src/agent-config.ts'

const KEY = JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd', alg: 'ES256' })
/** Each registration has its own key, so no key file is read. */
const KEYS = { AGENT_IDP_CLIENT_PRIVATE_JWK: KEY, AGENT_AS_CLIENT_PRIVATE_JWK: KEY }

insecureHttpRule({
  role: 'agent CLI',
  loadConfig: loadAgentConfig,
  secureEnv: {
    ...KEYS,
    IDP_ISSUER: 'https://idp.example',
    RS_RESOURCE: 'https://tasks.example/mcp',
    AS_ISSUER: 'https://as.example',
  },
  loopbackUrls: {
    IDP_ISSUER: 'http://localhost:4001',
    RS_RESOURCE: 'http://127.0.0.1:4003/mcp',
    AS_ISSUER: 'http://[::1]:4002',
  },
})

test('CL-28 CL-45 defaults: private_key_jwt at both registrations, offline_access at sign-in, a 300 s login window', () => {
  const config = loadAgentConfig({ ...KEYS, ALLOW_INSECURE_HTTP: 'true' })
  assert.equal(config.idpClient.clientId, 'acme-agent-cli')
  assert.equal(config.authorizationServerClient.clientId, 'acme-agent-cli-tasks')
  assert.equal(config.idpClient.privateJwk?.alg, 'ES256')
  assert.equal(config.signInScope, 'openid profile offline_access')
  assert.equal(config.loginTimeoutMs, 300_000)
  assert.equal(config.expectedAuthorizationServer, 'http://localhost:4002')
  assert.equal(
    loadAgentConfig({ ...KEYS, ALLOW_INSECURE_HTTP: 'true', AS_ISSUER: '' }).expectedAuthorizationServer,
    undefined,
  )
})

test('a configuration mistake is one TypeError naming the variable or the file, never the key', () => {
  const base = { ...KEYS, ALLOW_INSECURE_HTTP: 'true' }
  assert.throws(
    () => loadAgentConfig({ ...base, AGENT_LOGIN_TIMEOUT_SECONDS: '-1' }),
    /^TypeError: invalid AGENT_LOGIN_TIMEOUT_SECONDS: must be a positive number/,
  )
  assert.throws(
    () => loadAgentConfig({ ALLOW_INSECURE_HTTP: 'true', AGENT_CLI_KEY_FILE: '/nonexistent/agent-key.json' }),
    /^TypeError: The agent's private key \/nonexistent\/agent-key.json does not exist/,
  )
  assert.throws(
    () => loadAgentConfig({ ...base, AGENT_AS_CLIENT_PRIVATE_JWK: '{"d":"s3cret"' }),
    (error: unknown) =>
      error instanceof TypeError &&
      /^AGENT_AS_CLIENT_PRIVATE_JWK is not valid JSON$/.test(error.message) &&
      !error.message.includes('s3cret'),
  )
})
