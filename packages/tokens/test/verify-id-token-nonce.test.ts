import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLocalJWKSet, SignJWT } from 'jose'
import { generateSigningKey, InvalidGrantError, publicJwks, verifyIdToken } from '../src/index.ts'

// OIDC Core §3.1.3.7 item 11: a relying party verifying its own sign-in compares the nonce (the MCP
// authorization server's federated sign-in, decision 0050); the IdP's token exchange does not.

const ISSUER = 'https://idp.example'
const key = await generateSigningKey('ES256')
const keys = createLocalJWKSet(publicJwks([key]))
const now = new Date()

async function idToken(claims: Record<string, unknown>): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000)
  return new SignJWT({ sub: 'u-1001', ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setIssuer(ISSUER)
    .setAudience('as-client')
    .setIssuedAt(iat)
    .setExpirationTime(iat + 300)
    .sign(key.privateKey)
}

const verify = (token: string, nonce?: string) =>
  verifyIdToken(token, { issuer: ISSUER, keys, audience: 'as-client', now, ...(nonce === undefined ? {} : { nonce }) })

test('verifyIdToken accepts the nonce of the sign-in', async () => {
  assert.equal((await verify(await idToken({ nonce: 'n-1' }), 'n-1')).sub, 'u-1001')
})

test("verifyIdToken refuses another sign-in's nonce, or none, when a nonce is expected", async () => {
  await assert.rejects(
    verify(await idToken({ nonce: 'n-2' }), 'n-1'),
    (error: unknown) => error instanceof InvalidGrantError && /nonce/.test(error.description),
  )
  await assert.rejects(
    verify(await idToken({}), 'n-1'),
    (error: unknown) => error instanceof InvalidGrantError && /nonce/.test(error.description),
  )
})

test('verifyIdToken ignores the nonce when none is expected (the token exchange)', async () => {
  assert.equal((await verify(await idToken({ nonce: 'whatever' }))).sub, 'u-1001')
})
