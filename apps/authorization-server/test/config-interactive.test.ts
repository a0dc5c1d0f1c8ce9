import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from '../src/config.ts'

// Decision 0050: the configuration of the authorization code flow: interactive client registrations,
// the sign-in IdP and the cookie keys. Refusals name the variable and say what to change.

const HTTPS = {
  AS_ISSUER: 'https://as.example',
  IDP_ISSUER: 'https://idp.example',
  RS_RESOURCE: 'https://tasks.example/mcp',
}
const EMA = { client_id: 'acme-agent-tasks', client_secret: 's', token_endpoint_auth_method: 'client_secret_basic' }
const clients = (...extra: object[]) => JSON.stringify([EMA, ...extra])

test('decision 0050 the sign-in IdP defaults to the trusted IdP, with the demo registration and a redirect URI below the issuer', () => {
  const config = loadConfig(HTTPS)
  assert.deepEqual(config.signInIdp, {
    issuer: 'https://idp.example',
    clientId: 'mcp-authorization-server',
    clientSecret: 'mcp-authorization-server-idp-secret',
    redirectUri: 'https://as.example/interaction/callback',
  })
  assert.equal(config.cookieKeysSource, 'ephemeral')
  assert.equal(config.cookieKeys.length, 1)
})

test('decision 0050 SIGN_IN_IDP_* and AS_COOKIE_KEYS configure the sign-in', () => {
  const config = loadConfig({
    ...HTTPS,
    TRUSTED_IDPS: JSON.stringify([
      {
        issuer: 'https://idp.example',
        jwks_uri: 'https://idp.example/jwks',
        subject_namespace: 'acme',
        client_ids: ['acme-agent-tasks'],
      },
      {
        issuer: 'https://partner.example',
        jwks_uri: 'https://partner.example/jwks',
        subject_namespace: 'partner',
        client_ids: ['acme-agent-tasks'],
      },
    ]),
    SIGN_IN_IDP_ISSUER: 'https://partner.example',
    SIGN_IN_IDP_CLIENT_ID: 'as-at-partner',
    SIGN_IN_IDP_CLIENT_SECRET: 'partner-secret',
    AS_COOKIE_KEYS: ' one , two ,',
  })
  assert.equal(config.signInIdp.issuer, 'https://partner.example')
  assert.equal(config.signInIdp.clientId, 'as-at-partner')
  assert.deepEqual(config.cookieKeys, ['one', 'two'])
  assert.equal(config.cookieKeysSource, 'configured')
})

test('decision 0050 AS-16 the sign-in IdP must be a trusted IdP', () => {
  assert.throws(
    () => loadConfig({ ...HTTPS, SIGN_IN_IDP_ISSUER: 'https://elsewhere.example' }),
    /SIGN_IN_IDP_ISSUER https:\/\/elsewhere\.example is not a trusted IdP/,
  )
})

test('decision 0050 an interactive client (redirect_uris) is registered for the code flow; public ones too (SEC-14)', () => {
  const config = loadConfig({
    ...HTTPS,
    CLIENTS: clients(
      {
        client_id: 'desktop',
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        redirect_uris: ['http://127.0.0.1/callback'],
        client_name: 'Desktop',
      },
      {
        client_id: 'web',
        client_secret: 'w',
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: ['https://web.example/callback'],
      },
    ),
  })
  assert.deepEqual(
    config.clients.map((client) => client.client_id),
    ['acme-agent-tasks', 'desktop', 'web'],
  )
})

test('AS-09 OBO-07 a public client without redirect_uris is refused: public clients only have the code flow', () => {
  assert.throws(
    () => loadConfig({ ...HTTPS, CLIENTS: clients({ client_id: 'pub', token_endpoint_auth_method: 'none' }) }),
    /public .* without redirect_uris/,
  )
})

test('AS-09 a public client has no client_secret', () => {
  assert.throws(
    () =>
      loadConfig({
        ...HTTPS,
        CLIENTS: clients({
          client_id: 'pub',
          client_secret: 'x',
          token_endpoint_auth_method: 'none',
          redirect_uris: ['https://a.example/cb'],
        }),
      }),
    /none \(public\) clients have no client_secret/,
  )
})

test('AS-16 an interactive client cannot be vouched for by an IdP (it never redeems ID-JAGs)', () => {
  assert.throws(
    () =>
      loadConfig({
        ...HTTPS,
        CLIENTS: clients({
          client_id: 'web',
          client_secret: 'w',
          token_endpoint_auth_method: 'client_secret_basic',
          redirect_uris: ['https://web.example/cb'],
        }),
        TRUSTED_IDPS: JSON.stringify([
          {
            issuer: 'https://idp.example',
            jwks_uri: 'https://idp.example/jwks',
            client_ids: ['acme-agent-tasks', 'web'],
          },
        ]),
      }),
    /"web", an interactive client/,
  )
})

test('OBO-10 an interactive client cannot carry token exchange settings', () => {
  assert.throws(
    () =>
      loadConfig({
        ...HTTPS,
        CLIENTS: clients({
          client_id: 'web',
          client_secret: 'w',
          token_endpoint_auth_method: 'client_secret_basic',
          redirect_uris: ['https://web.example/cb'],
          token_exchange: { allow_any_profile_of_type: ['on_behalf_of_token_exchange'] },
          resource_server_identifier: 'https://tasks.example/mcp',
        }),
      }),
    /interactive client.*token exchange settings/,
  )
})

test('SEC-01 SEC-08 redirect URIs: https; http only to loopback with ALLOW_INSECURE_HTTP or a native loopback IP; never a fragment', () => {
  const web = (uri: string, extra: object = {}) =>
    clients({
      client_id: 'web',
      client_secret: 'w',
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [uri],
      ...extra,
    })
  assert.throws(
    () => loadConfig({ ...HTTPS, CLIENTS: web('http://web.example/cb') }),
    /redirect URI of "web" is plain http \(http:\/\/web\.example\): use https, or set ALLOW_INSECURE_HTTP=true/,
  )
  assert.throws(() => loadConfig({ ...HTTPS, CLIENTS: web('http://localhost:5999/cb') }), /is plain http/)
  assert.throws(
    () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', CLIENTS: web('http://web.example/cb') }),
    /redirect URI of "web" is plain http to web\.example, which is not a loopback host/,
  )
  assert.throws(() => loadConfig({ ...HTTPS, CLIENTS: web('https://web.example/cb#frag') }), /fragment/)
  assert.doesNotThrow(() =>
    loadConfig({ ...HTTPS, CLIENTS: web('http://127.0.0.1/cb', { application_type: 'native' }) }),
  )
  assert.doesNotThrow(() => loadConfig({ ALLOW_INSECURE_HTTP: 'true', CLIENTS: web('http://localhost:5999/cb') }))
})

test('client_name and application_type belong to interactive clients only', () => {
  assert.throws(
    () => loadConfig({ ...HTTPS, CLIENTS: JSON.stringify([{ ...EMA, client_name: 'Agent' }]) }),
    /only interactive clients/,
  )
})

test("DEMO_CLASSIC=true adds the web app's interactive registration to the demo defaults, its redirect URI below CLIENT_URL; the EMA client is unchanged", () => {
  const off = loadConfig(HTTPS)
  assert.equal(off.demoClassic, false)
  assert.equal(
    off.clients.some((client) => client.client_id === 'acme-agent-classic'),
    false,
  )
  const on = loadConfig({ ...HTTPS, DEMO_CLASSIC: 'true', CLIENT_URL: 'https://agent.example/' })
  const classic = on.clients.find((client) => client.client_id === 'acme-agent-classic')
  assert.deepEqual(classic?.redirect_uris, ['https://agent.example/classic/callback'])
  assert.equal(classic?.token_endpoint_auth_method, 'client_secret_basic')
  assert.deepEqual(
    on.clients.find((client) => client.client_id === 'acme-agent-tasks'),
    off.clients.find((client) => client.client_id === 'acme-agent-tasks'),
  )
  assert.deepEqual(on.trustedIdps[0]?.client_ids, ['acme-agent-tasks'], 'the classic client never redeems ID-JAGs')
  assert.throws(() => loadConfig({ ...HTTPS, DEMO_CLASSIC: 'true' }), /redirect URI of "acme-agent-classic"/)
  const demo = loadConfig({ ALLOW_INSECURE_HTTP: 'true', DEMO_CLASSIC: 'true' })
  assert.deepEqual(demo.clients.find((client) => client.client_id === 'acme-agent-classic')?.redirect_uris, [
    'http://localhost:3000/classic/callback',
  ])
})
