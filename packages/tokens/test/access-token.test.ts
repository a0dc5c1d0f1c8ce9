import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose'
import {
  generateSigningKey,
  InvalidTokenError,
  publicJwks,
  signAccessToken,
  signClientAssertion,
  signIdJag,
  verifyAccessToken,
  type SignAccessTokenOptions,
  type VerifyAccessTokenOptions,
} from '../src/index.ts'

const AS = 'https://as.example.com'
const RESOURCE = 'https://mcp.example.com/mcp'
const NOW = new Date('2025-06-01T12:00:00Z')
const T = Math.floor(NOW.getTime() / 1000)

const asKey = await generateSigningKey()
const otherKey = await generateSigningKey()
const asKeys = createLocalJWKSet(publicJwks([asKey]))

function signOptions(overrides: Partial<SignAccessTokenOptions> = {}): SignAccessTokenOptions {
  return {
    issuer: AS,
    subject: 'local-user-1',
    audience: RESOURCE,
    clientId: 'mcp-client',
    scope: 'files:read',
    expiresInSeconds: 3600,
    now: NOW,
    key: asKey,
    ...overrides,
  }
}
function verifyOptions(overrides: Partial<VerifyAccessTokenOptions> = {}): VerifyAccessTokenOptions {
  return { issuer: AS, keys: asKeys, audience: RESOURCE, now: NOW, ...overrides }
}

async function assertInvalidToken(promise: Promise<unknown>, description: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InvalidTokenError, `expected InvalidTokenError, got ${String(error)}`)
    assert.equal(error.error, 'invalid_token')
    assert.equal(error.status, 401)
    assert.match(error.description, description)
    return true
  })
}

describe('signAccessToken / verifyAccessToken', () => {
  test('AS-37 RS-09 RS-10 an access token round-trips', async () => {
    const token = await signAccessToken(
      signOptions({ extraClaims: { idp: 'https://idp.example.com', sub: 'ignored' } }),
    )
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'ES256', kid: asKey.kid, typ: 'at+jwt' })
    const claims = await verifyAccessToken(token, verifyOptions())
    assert.equal(claims.iss, AS)
    assert.equal(claims.sub, 'local-user-1')
    assert.equal(claims.aud, RESOURCE)
    assert.equal(claims.client_id, 'mcp-client')
    assert.equal(claims.scope, 'files:read')
    assert.equal(claims.idp, 'https://idp.example.com')
    assert.equal(claims.iat, T)
    assert.equal(claims.exp, T + 3600)
    assert.equal(typeof claims.jti, 'string')
  })

  test('RS-11 refuses an ID-JAG presented as an access token', async () => {
    const idJag = await signIdJag({
      issuer: AS,
      audience: RESOURCE,
      subject: 'u',
      clientId: 'mcp-client',
      now: NOW,
      key: asKey,
    })
    await assertInvalidToken(
      verifyAccessToken(idJag, verifyOptions()),
      /has typ "oauth-id-jag\+jwt"; expected "at\+jwt"/,
    )
  })

  test('RS-11 refuses a client assertion presented as an access token', async () => {
    const assertion = await signClientAssertion({ clientId: AS, audience: RESOURCE, now: NOW, key: asKey })
    await assertInvalidToken(verifyAccessToken(assertion, verifyOptions()), /has typ \(none\); expected "at\+jwt"/)
  })

  test('RS-11 refuses an IdP ID token (typ JWT)', async () => {
    const idToken = await new SignJWT({ iss: AS, sub: 'u', aud: RESOURCE, client_id: 'c', iat: T, exp: T + 60 })
      .setProtectedHeader({ alg: 'ES256', kid: asKey.kid, typ: 'JWT' })
      .sign(asKey.privateKey)
    await assertInvalidToken(verifyAccessToken(idToken, verifyOptions()), /has typ "JWT"/)
  })

  test('RS-09 refuses an access token for another resource', async () => {
    const token = await signAccessToken(signOptions({ audience: 'https://other-mcp.example.com/mcp' }))
    await assertInvalidToken(
      verifyAccessToken(token, verifyOptions()),
      /not for this resource \(https:\/\/mcp\.example\.com\/mcp\)/,
    )
  })

  test('RS-09 accepts an aud array that includes this resource', async () => {
    const token = await new SignJWT({ client_id: 'c', scope: 'a' })
      .setProtectedHeader({ alg: 'ES256', kid: asKey.kid, typ: 'at+jwt' })
      .setIssuer(AS)
      .setSubject('u')
      .setAudience([RESOURCE, 'https://x.example'])
      .setJti('j-1')
      .setIssuedAt(T)
      .setExpirationTime(T + 60)
      .sign(asKey.privateKey)
    const claims = await verifyAccessToken(token, verifyOptions())
    assert.deepEqual(claims.aud, [RESOURCE, 'https://x.example'])
  })

  test('RS-10 refuses an access token without jti (RFC 9068 §2.2)', async () => {
    const token = await new SignJWT({ client_id: 'c', scope: 'a' })
      .setProtectedHeader({ alg: 'ES256', kid: asKey.kid, typ: 'at+jwt' })
      .setIssuer(AS)
      .setSubject('u')
      .setAudience(RESOURCE)
      .setIssuedAt(T)
      .setExpirationTime(T + 60)
      .sign(asKey.privateKey)
    await assertInvalidToken(verifyAccessToken(token, verifyOptions()), /no "jti" claim/)
  })

  test('RS-10 refuses an access token from another issuer', async () => {
    const token = await signAccessToken(signOptions({ issuer: 'https://evil-as.example.com' }))
    await assertInvalidToken(
      verifyAccessToken(token, verifyOptions()),
      /issuer "https:\/\/evil-as\.example\.com" is not trusted/,
    )
  })

  test('RS-10 refuses an access token signed by a key the AS does not publish', async () => {
    const token = await signAccessToken(signOptions({ key: otherKey }))
    await assertInvalidToken(
      verifyAccessToken(token, verifyOptions()),
      /no key of the access token issuer matches its "kid"/,
    )
  })

  test('RS-10 refuses an access token forged under the AS kid', async () => {
    const token = await new SignJWT({ client_id: 'c' })
      .setProtectedHeader({ alg: 'ES256', kid: asKey.kid, typ: 'at+jwt' })
      .setIssuer(AS)
      .setSubject('u')
      .setAudience(RESOURCE)
      .setIssuedAt(T)
      .setExpirationTime(T + 60)
      .sign(otherKey.privateKey)
    await assertInvalidToken(verifyAccessToken(token, verifyOptions()), /signature does not verify/)
  })

  test('RS-10 refuses an expired access token', async () => {
    const token = await signAccessToken(signOptions({ now: new Date(NOW.getTime() - 7200_000) }))
    await assertInvalidToken(verifyAccessToken(token, verifyOptions()), /expired/)
  })

  test('RS-10 refuses an access token living longer than the cap', async () => {
    const token = await signAccessToken(signOptions({ expiresInSeconds: 86_401 }))
    await assertInvalidToken(verifyAccessToken(token, verifyOptions()), /lives 86401 s/)
  })

  const missing: Array<[string, Record<string, unknown>, RegExp]> = [
    ['sub', { sub: '' }, /has no "sub" claim/],
    ['client_id', { client_id: '' }, /has no "client_id" claim/],
  ]
  for (const [name, claims, description] of missing) {
    test(`RS-10 refuses an access token with an empty ${name}`, async () => {
      const token = await new SignJWT({
        iss: AS,
        sub: 'u',
        aud: RESOURCE,
        client_id: 'c',
        iat: T,
        exp: T + 60,
        ...claims,
      })
        .setProtectedHeader({ alg: 'ES256', kid: asKey.kid, typ: 'at+jwt' })
        .sign(asKey.privateKey)
      await assertInvalidToken(verifyAccessToken(token, verifyOptions()), description)
    })
  }

  test('RS-10 refuses an access token whose scope is not a string', async () => {
    const token = await signAccessToken(signOptions({ scope: ['a'] as unknown as string }))
    await assertInvalidToken(verifyAccessToken(token, verifyOptions()), /"scope" claim must be a string/)
  })

  test('RS-10 refuses alg none', async () => {
    const b = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const token = `${b({ alg: 'none', typ: 'at+jwt' })}.${b({ iss: AS, sub: 'u', aud: RESOURCE, client_id: 'c', iat: T, exp: T + 60 })}.AAAA`
    await assertInvalidToken(verifyAccessToken(token, verifyOptions()), /"none", which is not an allowed algorithm/)
  })

  test('RS-10 signAccessToken output decodes with the expected claims', async () => {
    const claims = decodeJwt(await signAccessToken(signOptions()))
    assert.equal(claims.exp! - claims.iat!, 3600)
  })
})
