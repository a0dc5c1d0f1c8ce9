import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import {
  CLIENT_ASSERTION_TYPE,
  generateSigningKey,
  GRANT_TYPE,
  publicJwks,
  TOKEN_TYPE,
  type SigningKey,
} from '@ema/tokens'
import { decodeJwt, SignJWT } from 'jose'
import {
  ACME_AGENT,
  AS_ISSUER,
  RS_RESOURCE,
  exchange,
  signIn,
  signInWithRefreshToken,
  startIdp,
  type ClientAuth,
  type TestIdp,
  idTokenOf,
} from './support/idp.ts'

// The "Acme Agent CLI": a confidential native client that authenticates with private_key_jwt
// (RFC 7523 §2.2) and signs users in through the system browser and a loopback redirect (RFC 8252 §7.3).
const CLI_CLIENT_ID = 'acme-agent-cli'
/** A port the CLI's loopback listener might have been given by the OS. */
const loopbackRedirectUri = (port: number) => `http://127.0.0.1:${port}/callback`

let idp: TestIdp
let cliKey: SigningKey
let cli: ClientAuth

before(async () => {
  cliKey = await generateSigningKey('ES256')
  cli = { method: 'private_key_jwt', clientId: CLI_CLIENT_ID, key: cliKey }
  idp = await startIdp({ env: { AGENT_CLI_JWKS: JSON.stringify(publicJwks([cliKey])) } })
})
after(() => idp.close())

/** A refusal: the status, the wire error code, and no token. */
function assertRefused(res: { status: number; body: Record<string, unknown> }, status: number, error: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body))
  assert.equal(res.body.error, error)
  assert.equal(res.body.access_token, undefined)
}

/** Starts an authorization request at /auth (PKCE S256) and returns the IdP's first answer. */
async function authorize(params: Record<string, string>): Promise<Response> {
  const url = new URL('/auth', idp.url)
  url.search = new URLSearchParams({
    client_id: CLI_CLIENT_ID,
    response_type: 'code',
    scope: 'openid',
    code_challenge: randomBytes(32).toString('base64url'),
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
    ...params,
  }).toString()
  return fetch(url, { redirect: 'manual' })
}

test('IDP-21 CL-28 acme-agent-cli signs in through a loopback redirect and, authenticated by private_key_jwt, gets an ID-JAG for acme-agent-cli-tasks', async () => {
  const idToken = await signIn(idp, {
    client: cli,
    username: 'alice',
    password: 'alice-password',
    redirectUri: loopbackRedirectUri(53_682),
  })
  assert.equal(decodeJwt(idToken).aud, CLI_CLIENT_ID)
  const res = await exchange(idp, { subject_token: idToken, scope: 'tasks.read tasks.write' }, cli)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.issued_token_type, TOKEN_TYPE.ID_JAG)
  const idJag = res.body.access_token
  assert.equal(typeof idJag, 'string')
  if (typeof idJag !== 'string') return
  const payload = decodeJwt(idJag)
  assert.equal(payload.client_id, 'acme-agent-cli-tasks') // IDP-21: its id at the authorization server
  assert.equal(payload.aud, AS_ISSUER)
  assert.equal(payload.resource, RS_RESOURCE)
  assert.equal(payload.sub, 'u-1001')
  assert.equal(payload.scope, 'tasks.read tasks.write')
})

test('IDP-04 IDP-07 IDP-21 acme-agent-cli exchanges its own refresh token (offline_access, prompt=consent) for an ID-JAG', async () => {
  const { refreshToken } = await signInWithRefreshToken(idp, {
    client: cli,
    username: 'bob',
    password: 'bob-password',
    redirectUri: loopbackRedirectUri(40_123),
  })
  const res = await exchange(idp, { subject_token: refreshToken, subject_token_type: TOKEN_TYPE.REFRESH_TOKEN }, cli)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  const idJag = res.body.access_token
  if (typeof idJag !== 'string') assert.fail('no ID-JAG')
  const payload = decodeJwt(idJag)
  assert.equal(payload.client_id, 'acme-agent-cli-tasks') // IDP-21
  assert.equal(payload.sub, 'u-1002')
  assert.equal(payload.scope, 'tasks.read') // IDP-17: sales may only read
  // IDP-07: the CLI's refresh token is bound to the CLI; the web client cannot present it.
  assertRefused(
    await exchange(idp, { subject_token: refreshToken, subject_token_type: TOKEN_TYPE.REFRESH_TOKEN }, ACME_AGENT),
    400,
    'invalid_grant',
  )
})

test('IDP-06 acme-agent-cli may not exchange an ID token issued to acme-agent', async () => {
  const webIdToken = await idTokenOf(idp, 'alice')
  assertRefused(await exchange(idp, { subject_token: webIdToken }, cli), 400, 'invalid_grant')
})

/**
 * A token exchange by acme-agent-cli whose private_key_jwt client assertion carries `aud` as given
 * (a string or an array), signed with the CLI's registered key: only the audience can be wrong.
 */
async function exchangeWithAssertionAud(
  subjectToken: string,
  aud: string | string[],
): Promise<{ status: number; body: Record<string, unknown> }> {
  const now = Math.floor(Date.now() / 1000)
  const clientAssertion = await new SignJWT({})
    .setProtectedHeader({ alg: cliKey.alg, kid: cliKey.kid })
    .setIssuer(CLI_CLIENT_ID)
    .setSubject(CLI_CLIENT_ID)
    .setAudience(aud)
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(cliKey.privateKey)
  const body = new URLSearchParams({
    grant_type: GRANT_TYPE.TOKEN_EXCHANGE,
    requested_token_type: TOKEN_TYPE.ID_JAG,
    subject_token_type: TOKEN_TYPE.ID_TOKEN,
    subject_token: subjectToken,
    audience: AS_ISSUER,
    resource: RS_RESOURCE,
    client_id: CLI_CLIENT_ID,
    client_assertion_type: CLIENT_ASSERTION_TYPE.JWT_BEARER,
    client_assertion: clientAssertion,
  })
  const res = await fetch(new URL('/token', idp.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body,
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

test('IDP-09 acme-agent-cli is refused 401 invalid_client for a client assertion whose aud is the token endpoint URL (RFC 7523bis)', async () => {
  const idToken = await signIn(idp, {
    client: cli,
    username: 'alice',
    password: 'alice-password',
    redirectUri: loopbackRedirectUri(61_000),
  })
  const res = await exchangeWithAssertionAud(idToken, `${idp.url}/token`)
  assertRefused(res, 401, 'invalid_client')
  assert.deepEqual(res.body, {
    error: 'invalid_client',
    error_description: `client assertion aud must be exactly the issuer identifier "${idp.url}"`,
  })
})

test('IDP-09 acme-agent-cli is refused 401 invalid_client for an array client assertion aud, even one holding the issuer (RFC 7523bis)', async () => {
  const idToken = await signIn(idp, {
    client: cli,
    username: 'alice',
    password: 'alice-password',
    redirectUri: loopbackRedirectUri(61_001),
  })
  for (const aud of [[idp.url], [idp.url, `${idp.url}/token`]]) {
    const res = await exchangeWithAssertionAud(idToken, aud)
    assertRefused(res, 401, 'invalid_client')
    assert.deepEqual(
      res.body,
      {
        error: 'invalid_client',
        error_description: `client assertion aud must be exactly the issuer identifier "${idp.url}" as a single string, not an array`,
      },
      JSON.stringify(aud),
    )
  }
})

test('IDP-09 acme-agent-cli is accepted with exactly the issuer as its client assertion aud', async () => {
  const idToken = await signIn(idp, {
    client: cli,
    username: 'alice',
    password: 'alice-password',
    redirectUri: loopbackRedirectUri(61_002),
  })
  const res = await exchangeWithAssertionAud(idToken, idp.url)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.issued_token_type, TOKEN_TYPE.ID_JAG)
})

test('IDP-09 acme-agent-cli with client_secret_basic is refused 401 invalid_client', async () => {
  const idToken = await signIn(idp, {
    client: cli,
    username: 'alice',
    password: 'alice-password',
    redirectUri: loopbackRedirectUri(50_000),
  })
  const basic: ClientAuth = { method: 'client_secret_basic', clientId: CLI_CLIENT_ID, secret: 'a-guessed-secret' }
  assertRefused(await exchange(idp, { subject_token: idToken }, basic), 401, 'invalid_client')
  const post: ClientAuth = { method: 'client_secret_post', clientId: CLI_CLIENT_ID, secret: 'a-guessed-secret' }
  assertRefused(await exchange(idp, { subject_token: idToken }, post), 401, 'invalid_client')
  // IDP-10: and as a public client, with no credential at all.
  assertRefused(
    await exchange(idp, { subject_token: idToken }, { method: 'none', clientId: CLI_CLIENT_ID }),
    401,
    'invalid_client',
  )
})

test('IDP-09 acme-agent-cli is refused 401 invalid_client for a client assertion signed with a key it did not register', async () => {
  const idToken = await signIn(idp, {
    client: cli,
    username: 'alice',
    password: 'alice-password',
    redirectUri: loopbackRedirectUri(50_001),
  })
  const impostor: ClientAuth = {
    method: 'private_key_jwt',
    clientId: CLI_CLIENT_ID,
    key: await generateSigningKey('ES256'),
  }
  assertRefused(await exchange(idp, { subject_token: idToken }, impostor), 401, 'invalid_client')
})

test('RFC 8252 §7.3 acme-agent-cli may use its loopback redirect URI on any port, and no other redirect URI', async () => {
  for (const redirectUri of [loopbackRedirectUri(1024), loopbackRedirectUri(65_535), 'http://127.0.0.1/callback']) {
    const res = await authorize({ redirect_uri: redirectUri })
    await res.arrayBuffer()
    // Accepted: oidc-provider sends the browser on to the sign-in interaction, not back with an error.
    assert.equal(res.status, 303, `${redirectUri} was refused`)
    const location = new URL(res.headers.get('location') ?? '', idp.url)
    assert.match(location.pathname, /^\/interaction\//, `${redirectUri} → ${location.href}`)
  }
  for (const redirectUri of [
    'http://localhost:53682/callback', // RFC 8252 §8.3: another host name than the registered literal
    'http://127.0.0.1:53682/other', //   another path
    'http://[::1]:53682/callback', //    another loopback address
    'https://127.0.0.1:53682/callback', // another scheme
    'http://attacker.example:53682/callback',
  ]) {
    const res = await authorize({ redirect_uri: redirectUri })
    const page = await res.text()
    assert.equal(res.status, 400, `${redirectUri} was accepted`)
    assert.equal(res.headers.get('location'), null) // never redirected to an unregistered URI
    assert.match(page, /invalid_redirect_uri/)
  }
})

test('IDP-21 the web client acme-agent is unchanged: its ID-JAG still names acme-agent-tasks', async () => {
  const idToken = await idTokenOf(idp, 'alice')
  const res = await exchange(idp, { subject_token: idToken })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(decodeJwt(String(res.body.access_token)).client_id, 'acme-agent-tasks')
})

test('the IdP without AGENT_CLI_JWKS does not know acme-agent-cli', async () => {
  const plain = await startIdp()
  try {
    const url = new URL('/auth', plain.url)
    url.search = new URLSearchParams({
      client_id: CLI_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: loopbackRedirectUri(53_682),
    }).toString()
    const res = await fetch(url, { redirect: 'manual' })
    assert.equal(res.status, 400)
    assert.match(await res.text(), /invalid_client/)
    const token = await exchange(
      plain,
      { subject_token: 'irrelevant' },
      { method: 'private_key_jwt', clientId: CLI_CLIENT_ID, key: cliKey },
    )
    assertRefused(token, 401, 'invalid_client')
  } finally {
    await plain.close()
  }
})
