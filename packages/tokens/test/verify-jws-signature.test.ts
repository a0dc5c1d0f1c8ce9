import assert from 'node:assert/strict'
import { createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto'
import { test } from 'node:test'
import { createLocalJWKSet, SignJWT, type JWTVerifyGetKey } from 'jose'
import { generateSigningKey, InvalidGrantError, publicJwks, verifyIdJag } from '../src/index.ts'

// Decision 0070: the signature is checked with node:crypto, the key still chosen by the issuer's key
// set. A key that does not fit the token's algorithm is refused as jose refused it, whatever its form.
const IDP = 'https://idp.example.com'
const AS = 'https://as.example.com'
const NOW = new Date('2025-06-01T12:00:00Z')
const T = Math.floor(NOW.getTime() / 1000)
const key = await generateSigningKey('ES256')
const claims = {
  iss: IDP,
  sub: 'u-1',
  aud: AS,
  client_id: 'c',
  jti: 'j-1',
  iat: T,
  exp: T + 300,
  resource: 'https://mcp.example.com',
}
const idJag = await new SignJWT(claims)
  .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'oauth-id-jag+jwt' })
  .sign(key.privateKey)

const verifyWith = (keys: JWTVerifyGetKey) => verifyIdJag(idJag, { issuerKeys: () => keys, audience: AS, now: NOW })
const refusedAs = async (keys: JWTVerifyGetKey, description: RegExp) =>
  assert.rejects(verifyWith(keys), (error: unknown) => {
    assert.ok(error instanceof InvalidGrantError, String(error))
    assert.match(error.description, description)
    return true
  })
const publicKeyObject = createPublicKey({ key: publicJwks([key]).keys[0] as JsonWebKey, format: 'jwk' })

test('AS-13 an ID-JAG verifies against the key its issuer key set selects (a CryptoKey), and against the same key as a KeyObject', async () => {
  assert.equal((await verifyWith(createLocalJWKSet(publicJwks([key])))).sub, 'u-1')
  assert.equal((await verifyWith(async () => publicKeyObject)).sub, 'u-1')
})

test('AS-13 AS-14 a key that does not fit ES256 is refused: another curve, an RSA key, a private key, a non-key', async () => {
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey
  const privateKey: KeyObject = key.keyObject
  for (const wrong of [p384, rsa, privateKey]) await refusedAs(async () => wrong, /^the ID-JAG could not be verified$/)
  await refusedAs((async () => ({ kty: 'EC' })) as unknown as JWTVerifyGetKey, /^the ID-JAG could not be verified$/)
})

test('AS-13 a signature by another key of the right type does not verify', async () => {
  const other = await generateSigningKey('ES256')
  await refusedAs(
    createLocalJWKSet(publicJwks([{ ...other, kid: key.kid, publicJwk: { ...other.publicJwk, kid: key.kid } }])),
    /signature does not verify/,
  )
})
