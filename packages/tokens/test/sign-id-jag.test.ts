import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import {
  generateSigningKey,
  JWT_TYP,
  publicJwks,
  signIdJag,
  verifyIdJag,
  type AsymmetricAlgorithm,
  type SignIdJagOptions,
  type SigningKey,
} from '../src/index.ts'

const IDP = 'https://idp.example.com'
const AS = 'https://as.example.com'
const RESOURCE = 'https://mcp.example.com/mcp'
const NOW = new Date('2025-06-01T12:00:00.750Z')
const T = Math.floor(NOW.getTime() / 1000)

const key = await generateSigningKey()

function options(overrides: Partial<SignIdJagOptions> = {}): SignIdJagOptions {
  return {
    issuer: IDP,
    audience: AS,
    subject: 'user-123',
    clientId: 'mcp-client',
    resource: RESOURCE,
    scope: 'files:read files:write',
    now: NOW,
    key,
    ...overrides,
  }
}

describe('signIdJag', () => {
  test('IDP-37 sets typ oauth-id-jag+jwt, the key alg and kid', async () => {
    const header = decodeProtectedHeader(await signIdJag(options()))
    assert.deepEqual(header, { alg: 'ES256', kid: key.kid, typ: JWT_TYP.ID_JAG })
    assert.equal(header.typ, 'oauth-id-jag+jwt')
  })

  test('IDP-38 the signature verifies with the published public key', async () => {
    const { payload } = await jwtVerify(await signIdJag(options()), createLocalJWKSet(publicJwks([key])), {
      currentDate: NOW,
      typ: 'oauth-id-jag+jwt',
    })
    assert.equal(payload.iss, IDP)
  })

  test('IDP-39 IDP-40 IDP-41 IDP-42 IDP-43 carries iss, sub, aud, client_id, jti, iat and exp', async () => {
    const claims = decodeJwt(await signIdJag(options({ jti: 'fixed-jti' })))
    assert.equal(claims.iss, IDP) // IDP-39
    assert.equal(claims.sub, 'user-123') // IDP-40
    assert.equal(claims.aud, AS) // IDP-41
    assert.equal(claims.client_id, 'mcp-client') // IDP-42
    assert.equal(claims.jti, 'fixed-jti') // IDP-43
    assert.equal(claims.iat, T)
    assert.equal(claims.exp, T + 300)
    assert.equal(claims.resource, RESOURCE) // IDP-44
    assert.equal(claims.scope, 'files:read files:write') // IDP-45
  })

  test('IDP-41 aud is a single string, not an array', async () => {
    const claims = decodeJwt(await signIdJag(options()))
    assert.equal(typeof claims.aud, 'string')
    assert.ok(!Array.isArray(claims.aud))
  })

  test('IDP-43 jti defaults to a fresh random UUID', async () => {
    const a = decodeJwt(await signIdJag(options()))
    const b = decodeJwt(await signIdJag(options()))
    assert.match(String(a.jti), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.notEqual(a.jti, b.jti)
  })

  test('IDP-48 default lifetime is 300 seconds', async () => {
    const claims = decodeJwt(await signIdJag(options()))
    assert.equal(claims.exp! - claims.iat!, 300)
  })

  test('IDP-48 honours a custom lifetime', async () => {
    const claims = decodeJwt(await signIdJag(options({ expiresInSeconds: 60 })))
    assert.equal(claims.exp! - claims.iat!, 60)
  })

  for (const [name, scope] of [
    ['empty', ''],
    ['absent', undefined],
  ] as const) {
    test(`IDP-45 omits scope when it is ${name}`, async () => {
      const claims = decodeJwt(await signIdJag(options({ scope })))
      assert.ok(!('scope' in claims))
    })
  }

  test('IDP-44 omits resource when absent', async () => {
    const claims = decodeJwt(await signIdJag(options({ resource: undefined })))
    assert.ok(!('resource' in claims))
  })

  test('IDP-50 adds extra ID-token claims but never lets them override the registered ones', async () => {
    const claims = decodeJwt(
      await signIdJag(
        options({
          jti: 'real-jti',
          extraClaims: {
            auth_time: T - 60,
            acr: 'phr',
            amr: ['pwd', 'otp'],
            iss: 'https://evil',
            sub: 'admin',
            aud: 'x',
            client_id: 'evil',
            jti: 'evil',
            exp: T + 99999,
            iat: 0,
          },
        }),
      ),
    )
    assert.equal(claims.auth_time, T - 60)
    assert.equal(claims.acr, 'phr')
    assert.deepEqual(claims.amr, ['pwd', 'otp'])
    assert.equal(claims.iss, IDP)
    assert.equal(claims.sub, 'user-123')
    assert.equal(claims.aud, AS)
    assert.equal(claims.client_id, 'mcp-client')
    assert.equal(claims.jti, 'real-jti')
    assert.equal(claims.iat, T)
    assert.equal(claims.exp, T + 300)
  })

  const algorithms: AsymmetricAlgorithm[] = ['ES256', 'ES384', 'ES512', 'RS256', 'PS256', 'EdDSA']
  for (const alg of algorithms) {
    test(`IDP-38 AS-13 an ID-JAG signed with ${alg} round-trips through verifyIdJag`, async () => {
      const signingKey: SigningKey = await generateSigningKey(alg)
      const keys = createLocalJWKSet(publicJwks([signingKey]))
      const idJag = await signIdJag(options({ key: signingKey }))
      assert.equal(decodeProtectedHeader(idJag).alg, alg)
      const claims = await verifyIdJag(idJag, {
        issuerKeys: (iss) => (iss === IDP ? keys : undefined),
        audience: AS,
        now: NOW,
      })
      assert.equal(claims.sub, 'user-123')
      assert.equal(claims.client_id, 'mcp-client')
      assert.equal(claims.aud, AS)
    })
  }
})
