import assert from 'node:assert/strict'
import { test } from 'node:test'
import { JWT_TYP, TOKEN_TYPE, verifyIdJag } from '@ema/tokens'
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose'
import {
  ACME_AGENT,
  AS_ISSUER,
  OTHER_APP,
  PUBLIC_APP,
  RS_RESOURCE,
  exchange,
  signIn,
  type TestIdp,
  useIdp,
  idTokenOf,
} from './support/idp.ts'

let idp: TestIdp
let aliceIdToken: string
let bobIdToken: string
let carolIdToken: string

useIdp(async (started) => {
  idp = started
  aliceIdToken = await idTokenOf(idp, 'alice')
  bobIdToken = await idTokenOf(idp, 'bob')
  carolIdToken = await idTokenOf(idp, 'carol')
})

/** Every refusal: the status, the wire error code, a description, and no ID-JAG. */
function assertRefused(
  res: { status: number; headers: Headers; body: Record<string, unknown> },
  status: number,
  error: string,
): void {
  assert.equal(res.status, status, JSON.stringify(res.body))
  assert.equal(res.body.error, error)
  assert.equal(typeof res.body.error_description, 'string')
  assert.equal(res.body.access_token, undefined)
  assert.equal(res.headers.get('cache-control'), 'no-store') // IDP-51
}

test('IDP-19 IDP-21 IDP-37 IDP-38 IDP-39 IDP-40 IDP-41 IDP-42 IDP-43 IDP-44 IDP-45 IDP-48 alice gets an ID-JAG for Tasks with both scopes, mapped client_id, verifiable at /jwks', async () => {
  const res = await exchange(idp, { subject_token: aliceIdToken, scope: 'tasks.read tasks.write' })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  const idJag = res.body.access_token
  assert.equal(typeof idJag, 'string')
  if (typeof idJag !== 'string') return

  const header = decodeProtectedHeader(idJag)
  assert.equal(header.typ, JWT_TYP.ID_JAG) // IDP-37
  assert.equal(header.alg, 'ES256')
  assert.equal(header.kid, idp.signingKey.kid)

  // IDP-38: verifies with the key the IdP publishes at its jwks_uri.
  const jwks = createRemoteJWKSet(new URL('/jwks', idp.url))
  const { payload } = await jwtVerify(idJag, jwks, { typ: JWT_TYP.ID_JAG, issuer: idp.url, audience: AS_ISSUER })
  assert.equal(payload.iss, idp.url) // IDP-39
  assert.equal(payload.sub, 'u-1001') // IDP-40
  assert.equal(payload.aud, AS_ISSUER) // IDP-41, a single string
  assert.equal(payload.client_id, 'acme-agent-tasks') // IDP-21, IDP-42
  assert.equal(payload.resource, RS_RESOURCE) // IDP-44
  assert.equal(payload.scope, 'tasks.read tasks.write') // IDP-19
  assert.equal(typeof payload.jti, 'string') // IDP-43
  assert.ok(typeof payload.exp === 'number' && typeof payload.iat === 'number')
  assert.ok(payload.exp - payload.iat <= 300 && payload.exp > payload.iat) // IDP-48
  assert.deepEqual(payload.amr, ['pwd']) // IDP-45
  assert.equal(typeof payload.auth_time, 'number')

  // The MCP authorization server's own verifier accepts it.
  const claims = await verifyIdJag(idJag, {
    issuerKeys: (iss) => (iss === idp.url ? jwks : undefined),
    audience: AS_ISSUER,
    now: new Date(),
  })
  assert.equal(claims.client_id, 'acme-agent-tasks')

  // The decision is logged, the tokens are not.
  const logged = idp.logs.join('\n')
  assert.match(logged, new RegExp(`issued ID-JAG.*"jti":"${payload.jti}"`))
  assert.ok(!logged.includes(idJag) && !logged.includes(aliceIdToken), 'tokens never reach the log')
})

test('SEC-06 SEC-18 the ID-JAG carries the claims the profile needs and nothing of the ID token beyond them: no name, email, groups or sub_id', async () => {
  const res = await exchange(idp, { subject_token: aliceIdToken, scope: 'tasks.read' })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  const payload = decodeJwt(String(res.body.access_token))
  assert.deepEqual(Object.keys(payload).sort(), [
    'amr',
    'aud',
    'auth_time',
    'client_id',
    'exp',
    'iat',
    'iss',
    'jti',
    'resource',
    'scope',
    'sub',
  ])
  const idToken = decodeJwt(aliceIdToken)
  assert.ok(idToken.email !== undefined && idToken.name !== undefined, 'the ID token does carry the PII left out')
})

test('IDP-43 two exchanges give two different jti', async () => {
  const a = await exchange(idp, { subject_token: aliceIdToken })
  const b = await exchange(idp, { subject_token: aliceIdToken })
  assert.equal(a.status, 200)
  assert.notEqual(a.body.access_token, b.body.access_token)
})

test('IDP-28 IDP-29 IDP-30 IDP-31 IDP-32 IDP-34 IDP-35 the response is 200 JSON with issued_token_type, N_A, expires_in, scope, no-store, no refresh_token', async () => {
  const res = await exchange(idp, { subject_token: aliceIdToken, scope: undefined })
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  assert.equal(res.headers.get('cache-control'), 'no-store') // IDP-28
  assert.equal(res.headers.get('pragma'), 'no-cache')
  assert.equal(res.body.issued_token_type, TOKEN_TYPE.ID_JAG) // IDP-29
  assert.equal(typeof res.body.access_token, 'string') // IDP-30
  assert.equal(res.body.token_type, 'N_A') // IDP-31
  assert.equal(res.body.expires_in, 300) // IDP-34
  assert.equal(res.body.scope, 'tasks.read tasks.write') // IDP-32: no scope requested → all policy allows
  assert.equal(res.body.refresh_token, undefined) // IDP-35
})

test('IDP-16 IDP-17 IDP-19 IDP-32 bob asking for tasks.read tasks.write gets only tasks.read, and scope says so', async () => {
  const res = await exchange(idp, { subject_token: bobIdToken, scope: 'tasks.read tasks.write' })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.scope, 'tasks.read')
  const idJag = res.body.access_token
  assert.ok(typeof idJag === 'string')
  const { payload } = await jwtVerify(idJag, createRemoteJWKSet(new URL('/jwks', idp.url)), { typ: JWT_TYP.ID_JAG })
  assert.equal(payload.scope, 'tasks.read')
  assert.equal(payload.sub, 'u-1002')
})

test('IDP-16 a request naming only scopes the MCP server does not define is invalid_scope', async () => {
  const res = await exchange(idp, { subject_token: aliceIdToken, scope: 'calendar.read files.write' })
  assertRefused(res, 400, 'invalid_scope')
  assert.match(String(res.body.error_description), /defines none of the requested scopes "calendar.read files.write"/)
})

test('IDP-16 a scope the MCP server does not define is narrowed out', async () => {
  const res = await exchange(idp, { subject_token: aliceIdToken, scope: 'tasks.read admin.everything' })
  assert.equal(res.status, 200)
  assert.equal(res.body.scope, 'tasks.read')
})

test('IDP-13 IDP-55 carol (no MCP access) is refused with access_denied naming her and the MCP server', async () => {
  const res = await exchange(idp, { subject_token: carolIdToken })
  assertRefused(res, 400, 'access_denied')
  // The refusal names the rule that decided: none allows carol anything (default deny).
  assert.equal(
    res.body.error_description,
    `Acme policy does not allow carol to use ${RS_RESOURCE}: no rule allows tasks.read, tasks.write for carol (default-deny)`,
  )
})

test('IDP-13 IDP-55 bob asking only for tasks.write is refused with access_denied', async () => {
  const res = await exchange(idp, { subject_token: bobIdToken, scope: 'tasks.write' })
  assertRefused(res, 400, 'access_denied')
})

test('IDP-09 IDP-57 SEC-11 a token exchange without client authentication is 401 invalid_client', async () => {
  assertRefused(await exchange(idp, { subject_token: aliceIdToken }, null), 401, 'invalid_client')
})

test('IDP-09 IDP-57 a wrong client secret is 401 invalid_client', async () => {
  const res = await exchange(
    idp,
    { subject_token: aliceIdToken },
    { method: 'client_secret_basic', clientId: 'acme-agent', secret: 'wrong' },
  )
  assertRefused(res, 401, 'invalid_client')
})

test('IDP-09 an unknown client is 401 invalid_client', async () => {
  const res = await exchange(
    idp,
    { subject_token: aliceIdToken },
    { method: 'client_secret_basic', clientId: 'nobody', secret: 'x' },
  )
  assertRefused(res, 401, 'invalid_client')
})

test('IDP-09 private_key_jwt client authentication works', async () => {
  const idToken = await signIn(idp, { client: idp.jwtClient, username: 'alice', password: 'alice-password' })
  const res = await exchange(idp, { subject_token: idToken }, idp.jwtClient)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  const idJag = res.body.access_token
  assert.ok(typeof idJag === 'string')
  const { payload } = await jwtVerify(idJag, createRemoteJWKSet(new URL('/jwks', idp.url)), { typ: JWT_TYP.ID_JAG })
  assert.equal(payload.client_id, 'jwt-client-at-as') // IDP-21
})

test('IDP-10 a public client may not request an ID-JAG (unauthorized_client)', async () => {
  const res = await exchange(idp, { subject_token: aliceIdToken }, PUBLIC_APP)
  assertRefused(res, 400, 'unauthorized_client')
})

test('IDP-06 refuses an ID token issued to another client', async () => {
  const otherIdToken = await signIn(idp, { client: OTHER_APP, username: 'alice', password: 'alice-password' })
  const res = await exchange(idp, { subject_token: otherIdToken }, ACME_AGENT)
  assertRefused(res, 400, 'invalid_grant')
  assert.equal(res.body.error_description, 'the subject token was issued to another client')
  // … while the client it was issued to may use it.
  assert.equal((await exchange(idp, { subject_token: otherIdToken }, OTHER_APP)).status, 200)
})

test('IDP-05 IDP-52 refuses a garbage subject token with invalid_grant', async () => {
  assertRefused(await exchange(idp, { subject_token: 'not-a-jwt' }), 400, 'invalid_grant')
})

test('IDP-05 refuses a subject token with a forged signature', async () => {
  const [header, payload] = aliceIdToken.split('.')
  const forged = `${header}.${payload}.${Buffer.from('x'.repeat(64)).toString('base64url')}`
  assertRefused(await exchange(idp, { subject_token: forged }), 400, 'invalid_grant')
})

test('IDP-05 IDP-52 refuses an expired subject token with invalid_grant', async () => {
  idp.setClockOffsetSeconds(2 * 3600)
  try {
    const res = await exchange(idp, { subject_token: aliceIdToken })
    assertRefused(res, 400, 'invalid_grant')
    assert.equal(res.body.error_description, 'the subject token has expired')
  } finally {
    idp.setClockOffsetSeconds(0)
  }
})

test('IDP-05 refuses an ID-JAG presented as the subject token', async () => {
  const issued = await exchange(idp, { subject_token: aliceIdToken })
  assert.ok(typeof issued.body.access_token === 'string')
  assertRefused(await exchange(idp, { subject_token: issued.body.access_token }), 400, 'invalid_grant')
})

/** A token signed with the IdP's own key that looks like alice's ID token except for `change`. */
async function forgedWithIdpKey(change: { typ?: string; iatOffset?: number; lifetime?: number }): Promise<string> {
  const now = Math.floor(Date.now() / 1000) + (change.iatOffset ?? 0)
  return new SignJWT({ sub: 'u-1001', aud: ACME_AGENT.clientId })
    .setProtectedHeader({
      alg: 'ES256',
      kid: idp.signingKey.kid,
      ...(change.typ === undefined ? {} : { typ: change.typ }),
    })
    .setIssuer(idp.config.issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + (change.lifetime ?? 600))
    .sign(idp.signingKey.privateKey)
}

test('IDP-05 a well-formed ID token signed with the IdP key is accepted (control for the cases below)', async () => {
  const res = await exchange(idp, { subject_token: await forgedWithIdpKey({}) })
  assert.equal(res.status, 200)
})

for (const [name, change, description] of [
  ['a logout token (typ logout+jwt)', { typ: 'logout+jwt' }, /subject token has typ "logout\+jwt"/],
  ['an iat a year in the future', { iatOffset: 365 * 86400 }, /subject token (was issued in the future|claim "iat")/],
  ['a ten-year lifetime', { lifetime: 10 * 365 * 86400 }, /subject token lives \d+ s; at most 3600 s/],
] as const) {
  test(`IDP-05 refuses as subject token ${name}, though signed with the IdP key`, async () => {
    const res = await exchange(idp, { subject_token: await forgedWithIdpKey(change) })
    assertRefused(res, 400, 'invalid_grant')
    assert.match(String(res.body.error_description), description)
  })
}

test('IDP-03 IDP-54 an unknown audience is invalid_target', async () => {
  assertRefused(
    await exchange(idp, { subject_token: aliceIdToken, audience: 'http://localhost:9999' }),
    400,
    'invalid_target',
  )
})

test('IDP-14 IDP-54 SEC-10 a resource the audience does not govern is invalid_target', async () => {
  assertRefused(
    await exchange(idp, { subject_token: aliceIdToken, resource: 'http://localhost:9999/mcp' }),
    400,
    'invalid_target',
  )
})

test('IDP-15 without resource, the only MCP server the audience governs is used', async () => {
  const res = await exchange(idp, { subject_token: aliceIdToken, resource: undefined })
  assert.equal(res.status, 200)
  const idJag = res.body.access_token
  assert.ok(typeof idJag === 'string')
  const { payload } = await jwtVerify(idJag, createRemoteJWKSet(new URL('/jwks', idp.url)), { typ: JWT_TYP.ID_JAG })
  assert.equal(payload.resource, RS_RESOURCE)
})

test('IDP-29 a requested_token_type other than ID-JAG is invalid_request', async () => {
  const res = await exchange(idp, { subject_token: aliceIdToken, requested_token_type: TOKEN_TYPE.ACCESS_TOKEN })
  assertRefused(res, 400, 'invalid_request')
  assert.match(String(res.body.error_description), /requested_token_type/)
})

test('IDP-04 a subject_token_type other than an ID token or a refresh token (SAML 2) is invalid_request', async () => {
  const res = await exchange(idp, { subject_token: aliceIdToken, subject_token_type: TOKEN_TYPE.SAML2 })
  assertRefused(res, 400, 'invalid_request')
  assert.match(String(res.body.error_description), /subject_token_type/)
})

test('IDP-05 a missing subject_token is invalid_request', async () => {
  assertRefused(await exchange(idp, { subject_token: undefined }), 400, 'invalid_request')
})

test('IDP-03 a missing audience is invalid_request', async () => {
  assertRefused(await exchange(idp, { subject_token: aliceIdToken, audience: undefined }), 400, 'invalid_request')
})

test('IDP-12 an actor_token is refused with invalid_request', async () => {
  const res = await exchange(idp, {
    subject_token: aliceIdToken,
    actor_token: aliceIdToken,
    actor_token_type: TOKEN_TYPE.ID_TOKEN,
  })
  assertRefused(res, 400, 'invalid_request')
  assert.match(String(res.body.error_description), /actor_token/)
})

for (const method of ['GET', 'PUT', 'DELETE']) {
  test(`IDP-51 ${method} at the token endpoint is a JSON 405 invalid_request, never a token (RFC 6749 §3.2)`, async () => {
    const res = await fetch(`${idp.url}/token?grant_type=${encodeURIComponent(TOKEN_TYPE.ID_JAG)}`, { method })
    assert.equal(res.status, 405)
    assert.equal(res.headers.get('allow'), 'POST')
    const body = (await res.json()) as Record<string, unknown>
    assert.equal(body.error, 'invalid_request')
    assert.equal(body.access_token, undefined)
  })
}
