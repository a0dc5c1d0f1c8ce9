import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose'
import { generateSigningKey, publicJwks } from '../src/index.ts'
import { signCompactJws } from '../src/keys/sign-compact-jws.ts'

// The signers sign with node:crypto (decision 0022); jose, as every verifier here, must accept the result.
for (const alg of ['ES256', 'ES384', 'ES512', 'PS256', 'RS256', 'EdDSA'] as const) {
  test(`IDP-38 a ${alg} compact JWS signed with node:crypto verifies with jose against the published key, header and payload as given`, async () => {
    const key = await generateSigningKey(alg)
    const header = { alg, kid: key.kid, typ: 'at+jwt' }
    const payload = { iss: 'https://as.example', sub: 'u-1', n: 1 }
    const jws = signCompactJws(header, payload, key)
    assert.match(jws, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
    assert.deepEqual(decodeProtectedHeader(jws), header)
    const { payload: bytes } = await compactVerify(jws, createLocalJWKSet(publicJwks([key])), { algorithms: [alg] })
    assert.deepEqual(JSON.parse(new TextDecoder().decode(bytes)), payload)
  })
}

test('a signature made with another key does not verify (the KeyObject is the key imported, not a fresh one)', async () => {
  const [key, other] = [await generateSigningKey('ES256'), await generateSigningKey('ES256')]
  const jws = signCompactJws({ alg: 'ES256', kid: other.kid }, { a: 1 }, key)
  await assert.rejects(compactVerify(jws, createLocalJWKSet(publicJwks([other]))))
})
