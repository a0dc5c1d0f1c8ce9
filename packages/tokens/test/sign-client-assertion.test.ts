import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { generateSigningKey, publicJwks, signClientAssertion } from '../src/index.ts'

const TOKEN_ENDPOINT = 'https://as.example.com/token'
const NOW = new Date('2025-06-01T12:00:00Z')
const T = Math.floor(NOW.getTime() / 1000)
const key = await generateSigningKey()

describe('signClientAssertion', () => {
  test('CL-28 iss = sub = the client id, one aud, a jti and a 60 s exp (RFC 7523 §3)', async () => {
    const assertion = await signClientAssertion({ clientId: 'mcp-client', audience: TOKEN_ENDPOINT, now: NOW, key })
    const { payload, protectedHeader } = await jwtVerify(assertion, createLocalJWKSet(publicJwks([key])), {
      currentDate: NOW,
      issuer: 'mcp-client',
      subject: 'mcp-client',
      audience: TOKEN_ENDPOINT,
    })
    assert.equal(protectedHeader.alg, 'ES256')
    assert.equal(protectedHeader.kid, key.kid)
    assert.equal(payload.iss, 'mcp-client')
    assert.equal(payload.sub, 'mcp-client')
    assert.equal(payload.aud, TOKEN_ENDPOINT)
    assert.equal(typeof payload.aud, 'string')
    assert.equal(typeof payload.jti, 'string')
    assert.ok((payload.jti as string).length >= 16)
    assert.equal(payload.iat, T)
    assert.equal(payload.exp, T + 60)
  })

  test('CL-28 honours a custom short lifetime', async () => {
    const claims = decodeJwt(
      await signClientAssertion({ clientId: 'c', audience: TOKEN_ENDPOINT, now: NOW, key, expiresInSeconds: 30 }),
    )
    assert.equal(claims.exp! - claims.iat!, 30)
  })

  test('CL-28 each assertion has a fresh jti', async () => {
    const jtis = new Set<unknown>()
    for (let i = 0; i < 20; i++)
      jtis.add(decodeJwt(await signClientAssertion({ clientId: 'c', audience: TOKEN_ENDPOINT, now: NOW, key })).jti)
    assert.equal(jtis.size, 20)
  })

  test('CL-28 is not typed as an ID-JAG or access token', async () => {
    const header = decodeProtectedHeader(
      await signClientAssertion({ clientId: 'c', audience: TOKEN_ENDPOINT, now: NOW, key }),
    )
    assert.notEqual(header.typ, 'oauth-id-jag+jwt')
    assert.notEqual(header.typ, 'at+jwt')
  })
})
