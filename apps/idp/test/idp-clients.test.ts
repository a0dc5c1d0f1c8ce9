import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { logInAtIdp } from '@ema/demo-kit'
import { generateSigningKey, GRANT_TYPE, publicJwks, TOKEN_TYPE } from '@ema/tokens'
import { loadConfig } from '../src/config.ts'
import { AS_ISSUER, signIn, startIdp } from './support/idp.ts'

const BASE = {
  IDP_ISSUER: 'https://acme.idp.example',
  AS_ISSUER: 'https://auth.chat.example',
  RS_RESOURCE: 'https://mcp.chat.example/mcp',
  CLIENT_URL: 'https://agent.example',
}

/** A public PKCE client as a test suite registers it (the MCP conformance suite's redirect URI shape). */
const SUITE_CLIENT = {
  client_id: 'conformance-suite',
  token_endpoint_auth_method: 'none',
  application_type: 'native',
  redirect_uris: ['http://127.0.0.1:5400/callback'],
}

const withClients = (clients: unknown, env: Record<string, string> = {}) =>
  loadConfig({ ...BASE, ...env, IDP_CLIENTS: JSON.stringify(clients) })

test('IDP_CLIENTS unset or empty registers no client beyond the demo clients', () => {
  for (const env of [BASE, { ...BASE, IDP_CLIENTS: '' }, { ...BASE, IDP_CLIENTS: '  ' }]) {
    assert.deepEqual(
      loadConfig(env).clients.map((client) => client.client_id),
      ['acme-agent'],
    )
  }
})

test('IDP-21 IDP_CLIENTS adds its registrations after the demo clients, with no AS mapping unless one is given', () => {
  const config = withClients([
    SUITE_CLIENT,
    {
      client_id: 'inspector',
      client_secret: 's3cret',
      token_endpoint_auth_method: 'client_secret_post',
      redirect_uris: ['https://inspector.example/cb'],
      clientIdAtAuthorizationServer: { 'https://auth.chat.example': 'inspector-at-as' },
    },
  ])
  assert.deepEqual(
    config.clients.map((client) => client.client_id),
    ['acme-agent', 'conformance-suite', 'inspector'],
  )
  assert.deepEqual(config.clients[1], { ...SUITE_CLIENT, clientIdAtAuthorizationServer: {} })
  assert.deepEqual(config.clients[2]?.clientIdAtAuthorizationServer, { 'https://auth.chat.example': 'inspector-at-as' })
})

test('IDP-09 CL-49 IDP_CLIENTS takes a private_key_jwt client with public keys, and refuses a private one', async () => {
  const key = await generateSigningKey('ES256')
  const client = {
    client_id: 'jwt-app',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    redirect_uris: ['https://app.example/cb'],
    jwks: publicJwks([key]),
  }
  assert.deepEqual(withClients([client]).clients[1]?.jwks, publicJwks([key]))
  assert.throws(
    () => withClients([{ ...client, jwks: { keys: [key.privateJwk] } }]),
    (error: unknown) =>
      error instanceof TypeError &&
      /IDP_CLIENTS at 0\.jwks must hold public keys only/.test(error.message) &&
      !error.message.includes(String(key.privateJwk.d)),
  )
})

test('IDP-09 SEC-01 an invalid IDP_CLIENTS is refused at start-up with a message naming it and the entry, never a secret', () => {
  const web = {
    client_id: 'web',
    client_secret: 'never-echo-me',
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: ['https://app.example/cb'],
  }
  const refused: Array<[string, RegExp]> = [
    ['not json', /^IDP_CLIENTS is not valid JSON/],
    [JSON.stringify(SUITE_CLIENT), /^invalid IDP_CLIENTS: /], // one object, not an array
    [JSON.stringify([{ ...web, client_id: '' }]), /^invalid IDP_CLIENTS at 0\.client_id/],
    [JSON.stringify([{ ...web, redirectUris: [] }]), /^invalid IDP_CLIENTS at 0: .*redirectUris/], // unknown field
    [
      JSON.stringify([{ ...web, redirect_uris: [] }]),
      /^invalid IDP_CLIENTS at 0\.redirect_uris: redirect_uris must name at least one/,
    ],
    [
      JSON.stringify([{ ...web, token_endpoint_auth_method: 'tls_client_auth' }]),
      /^invalid IDP_CLIENTS at 0\.token_endpoint_auth_method/,
    ],
    [
      JSON.stringify([{ ...web, client_secret: undefined }]),
      /^invalid IDP_CLIENTS at 0\.client_secret: client_secret_basic needs client_secret/,
    ],
    [
      JSON.stringify([SUITE_CLIENT, { ...SUITE_CLIENT, client_id: 'pub', client_secret: 'never-echo-me' }]),
      /^invalid IDP_CLIENTS at 1\.client_secret: a none client has no client_secret/,
    ],
    [
      JSON.stringify([{ ...web, client_secret: undefined, token_endpoint_auth_method: 'private_key_jwt' }]),
      /^invalid IDP_CLIENTS at 0\.jwks: private_key_jwt needs jwks/,
    ],
    [
      JSON.stringify([{ ...web, clientIdAtAuthorizationServer: { 'not a url': 'x' } }]),
      /^invalid IDP_CLIENTS at 0\.clientIdAtAuthorizationServer/,
    ],
    [
      JSON.stringify([{ ...web, redirect_uris: ['http://localhost:6274/cb'] }]),
      /^IDP_CLIENTS at 0\.redirect_uris is plain http \(http:\/\/localhost:6274\): use https, or set ALLOW_INSECURE_HTTP=true/,
    ],
    [
      JSON.stringify([{ ...SUITE_CLIENT, application_type: 'web' }]),
      /^IDP_CLIENTS at 0\.redirect_uris is plain http \(http:\/\/127\.0\.0\.1:5400\)/,
    ],
  ]
  for (const [value, message] of refused) {
    assert.throws(
      () => loadConfig({ ...BASE, IDP_CLIENTS: value }),
      (error: unknown) =>
        error instanceof TypeError && message.test(error.message) && !error.message.includes('never-echo-me'),
      value,
    )
  }
})

test('SEC-01 a plain-http redirect URI needs ALLOW_INSECURE_HTTP and a loopback host; a native client may use a loopback IP literal regardless', () => {
  const inspector = {
    client_id: 'inspector',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://localhost:6274/oauth/callback'],
  }
  const local = { ...BASE, IDP_ISSUER: 'http://localhost:4001', ALLOW_INSECURE_HTTP: 'true' }
  assert.deepEqual(withClients([inspector], local).clients[1]?.redirect_uris, ['http://localhost:6274/oauth/callback'])
  assert.throws(
    () => withClients([{ ...inspector, redirect_uris: ['http://inspector.example/cb'] }], local),
    /plain http/,
  )
  assert.equal(withClients([SUITE_CLIENT]).clients[1]?.client_id, 'conformance-suite') // https issuer, no ALLOW_INSECURE_HTTP
})

test('a client_id registered twice, in IDP_CLIENTS or over a demo client, is a start-up error', () => {
  assert.throws(
    () => withClients([SUITE_CLIENT, SUITE_CLIENT]),
    /^TypeError: client_id "conformance-suite" is registered twice/,
  )
  assert.throws(
    () => withClients([{ ...SUITE_CLIENT, client_id: 'acme-agent' }]),
    /client_id "acme-agent" is registered twice/,
  )
})

test('main.ts refuses a duplicate client_id in one line, with no stack trace', () => {
  const env = { ...process.env, ...BASE, IDP_CLIENTS: JSON.stringify([{ ...SUITE_CLIENT, client_id: 'acme-agent' }]) }
  const run = spawnSync(process.execPath, ['src/main.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env,
    encoding: 'utf8',
    timeout: 30_000,
  })
  assert.equal(run.status, 1)
  const output = run.stdout + run.stderr
  assert.match(output, /cannot start: client_id "acme-agent" is registered twice/)
  assert.doesNotMatch(output, /\n\s+at /)
})

test('IDP-10 an IDP_CLIENTS public client signs a user in with code + PKCE and no scope, as the conformance suite does, and gets no ID-JAG', async () => {
  const idp = await startIdp({ env: { IDP_CLIENTS: JSON.stringify([SUITE_CLIENT]) } })
  try {
    const redirectUri = 'http://127.0.0.1:5400/callback'
    const verifier = randomBytes(32).toString('base64url')
    const state = randomBytes(32).toString('base64url')
    const authorize = new URL('/auth', idp.url)
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'conformance-suite',
      state,
      redirect_uri: redirectUri,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString()
    const callback = await logInAtIdp(authorize.href, redirectUri, { username: 'alice', password: 'alice-password' })
    assert.equal(callback.searchParams.get('error'), null)
    assert.equal(callback.searchParams.get('state'), state)
    assert.equal(callback.searchParams.get('iss'), idp.url) // RFC 9207
    const code = callback.searchParams.get('code')
    assert.ok(code)

    const response = await fetch(`${idp.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
        client_id: 'conformance-suite',
      }),
    })
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /application\/json/)
    assert.match(response.headers.get('cache-control') ?? '', /no-store/)
    const tokens = (await response.json()) as Record<string, unknown>
    assert.equal(typeof tokens.access_token, 'string')
    assert.equal(tokens.token_type, 'Bearer')

    // IDP-10: registered from configuration or not, a public client gets no ID-JAG.
    const idToken = await signIn(idp, {
      client: { method: 'none', clientId: 'conformance-suite' },
      username: 'alice',
      password: 'alice-password',
      redirectUri,
    })
    const exchange = await fetch(`${idp.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: GRANT_TYPE.TOKEN_EXCHANGE,
        client_id: 'conformance-suite',
        requested_token_type: TOKEN_TYPE.ID_JAG,
        subject_token_type: TOKEN_TYPE.ID_TOKEN,
        subject_token: idToken,
        audience: AS_ISSUER,
      }),
    })
    assert.equal(exchange.status, 400)
    assert.equal(((await exchange.json()) as { error?: string }).error, 'unauthorized_client')
  } finally {
    await idp.close()
  }
})
