import assert from 'node:assert/strict'
import { createPublicKey } from 'node:crypto'
import { describe, test } from 'node:test'
import { createLocalJWKSet, SignJWT, type JWTHeaderParameters } from 'jose'
import {
  generateSigningKey,
  InvalidGrantError,
  publicJwks,
  verifyIdJag,
  type SigningKey,
  type VerifyIdJagOptions,
} from '../src/index.ts'

const IDP = 'https://idp.example.com'
const AS = 'https://as.example.com'
const RESOURCE = 'https://mcp.example.com/mcp'
const NOW = new Date('2025-06-01T12:00:00Z')
const T = Math.floor(NOW.getTime() / 1000)

const idpKey = await generateSigningKey()
const otherKey = await generateSigningKey()
const idpKeys = createLocalJWKSet(publicJwks([idpKey]))

function options(overrides: Partial<VerifyIdJagOptions> = {}): VerifyIdJagOptions {
  return { issuerKeys: (iss) => (iss === IDP ? idpKeys : undefined), audience: AS, now: NOW, ...overrides }
}

function goodClaims(): Record<string, unknown> {
  return {
    iss: IDP,
    sub: 'user-123',
    aud: AS,
    client_id: 'mcp-client',
    jti: 'jti-1',
    iat: T,
    exp: T + 300,
    resource: RESOURCE,
    scope: 'files:read',
  }
}

/** Signs arbitrary claims and header members (for crafting invalid ID-JAGs). */
async function craft(
  change: Record<string, unknown> = {},
  header: Partial<JWTHeaderParameters> = {},
  key: SigningKey = idpKey,
): Promise<string> {
  const claims = { ...goodClaims(), ...change }
  for (const [name, value] of Object.entries(change)) if (value === undefined) delete claims[name]
  const protectedHeader = { alg: key.alg, kid: key.kid, typ: 'oauth-id-jag+jwt', ...header } as JWTHeaderParameters
  for (const [name, value] of Object.entries(header))
    if (value === undefined) delete (protectedHeader as Record<string, unknown>)[name]
  return new SignJWT(claims).setProtectedHeader(protectedHeader).sign(key.privateKey)
}

const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

async function assertInvalidGrant(promise: Promise<unknown>, description: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InvalidGrantError, `expected InvalidGrantError, got ${String(error)}`)
    assert.equal(error.error, 'invalid_grant')
    assert.equal(error.status, 400)
    assert.match(error.description, description)
    return true
  })
}

describe('verifyIdJag', () => {
  test('AS-11 accepts a well-formed ID-JAG and returns its claims', async () => {
    const claims = await verifyIdJag(await craft(), options())
    assert.equal(claims.iss, IDP)
    assert.equal(claims.sub, 'user-123')
    assert.equal(claims.aud, AS)
    assert.equal(claims.client_id, 'mcp-client')
    assert.equal(claims.jti, 'jti-1')
    assert.equal(claims.resource, RESOURCE)
    assert.equal(claims.scope, 'files:read')
    assert.equal(claims.iat, T)
    assert.equal(claims.exp, T + 300)
  })

  test('AS-17 accepts a one-element aud array and normalises it to a string', async () => {
    const claims = await verifyIdJag(await craft({ aud: [AS] }), options())
    assert.equal(claims.aud, AS)
  })

  test('IDP-44 accepts resource as an array of URIs', async () => {
    const claims = await verifyIdJag(await craft({ resource: [RESOURCE, 'https://mcp2.example.com'] }), options())
    assert.deepEqual(claims.resource, [RESOURCE, 'https://mcp2.example.com'])
  })

  test('IDP-45 accepts an ID-JAG without scope or resource', async () => {
    const claims = await verifyIdJag(await craft({ scope: undefined, resource: undefined }), options())
    assert.equal(claims.scope, undefined)
    assert.equal(claims.resource, undefined)
  })

  describe('AS-12 explicit typ', () => {
    for (const typ of ['oauth-id-jag+jwt', 'application/oauth-id-jag+jwt', 'OAuth-ID-JAG+JWT']) {
      test(`AS-12 accepts typ "${typ}"`, async () => {
        const claims = await verifyIdJag(await craft({}, { typ }), options())
        assert.equal(claims.sub, 'user-123')
      })
    }
    const wrong: Array<[string, string | undefined]> = [
      ['JWT (an ID token or client assertion)', 'JWT'],
      ['at+jwt (an access token)', 'at+jwt'],
      ['application/at+jwt', 'application/at+jwt'],
      ['oauth-id-jag (no +jwt)', 'oauth-id-jag'],
      ['id-jag+jwt', 'id-jag+jwt'],
      ['with trailing space', 'oauth-id-jag+jwt '],
      ['missing', undefined],
    ]
    for (const [name, typ] of wrong) {
      test(`AS-12 rejects typ ${name}`, async () => {
        await assertInvalidGrant(
          verifyIdJag(await craft({}, { typ }), options()),
          /has typ .*expected "oauth-id-jag\+jwt"/,
        )
      })
    }
  })

  describe('AS-13 signature', () => {
    test('AS-13 rejects an ID-JAG signed by another key under the IdP kid', async () => {
      const forged = await craft({}, { kid: idpKey.kid }, otherKey)
      await assertInvalidGrant(verifyIdJag(forged, options()), /signature does not verify/)
    })

    test('AS-13 rejects an ID-JAG signed by a key the IdP does not publish', async () => {
      await assertInvalidGrant(
        verifyIdJag(await craft({}, {}, otherKey), options()),
        /no key of the ID-JAG issuer matches its "kid"/,
      )
    })

    test('AS-13 rejects an ID-JAG whose payload was altered after signing', async () => {
      const [header, , signature] = (await craft()).split('.')
      const altered = `${header}.${b64url({ ...goodClaims(), sub: 'admin' })}.${signature}`
      await assertInvalidGrant(verifyIdJag(altered, options()), /signature does not verify/)
    })

    test('AS-13 rejects an ID-JAG whose signature was altered', async () => {
      const [header, payload, signature] = (await craft()).split('.') as [string, string, string]
      const bytes = Buffer.from(signature, 'base64url')
      bytes[10] = bytes[10]! ^ 0xff
      await assertInvalidGrant(
        verifyIdJag(`${header}.${payload}.${bytes.toString('base64url')}`, options()),
        /signature does not verify/,
      )
    })

    test('AS-13 AS-16 rejects a key from one trusted IdP signing for another trusted IdP', async () => {
      const OTHER_IDP = 'https://other-idp.example.com'
      const otherKeys = createLocalJWKSet(publicJwks([otherKey]))
      const issuerKeys: VerifyIdJagOptions['issuerKeys'] = (iss) =>
        iss === IDP ? idpKeys : iss === OTHER_IDP ? otherKeys : undefined
      // otherKey is trusted for OTHER_IDP only; a token claiming iss=IDP signed with it must fail.
      await assertInvalidGrant(
        verifyIdJag(await craft({}, {}, otherKey), options({ issuerKeys })),
        /no key of the ID-JAG issuer matches/,
      )
      await assertInvalidGrant(
        verifyIdJag(await craft({}, { kid: idpKey.kid }, otherKey), options({ issuerKeys })),
        /signature does not verify/,
      )
      // and the same key is fine for its own issuer
      const claims = await verifyIdJag(await craft({ iss: OTHER_IDP }, {}, otherKey), options({ issuerKeys }))
      assert.equal(claims.iss, OTHER_IDP)
    })
  })

  describe('AS-14 algorithms', () => {
    test('AS-14 rejects alg none (empty signature)', async () => {
      const token = `${b64url({ alg: 'none', typ: 'oauth-id-jag+jwt' })}.${b64url(goodClaims())}.`
      await assertInvalidGrant(verifyIdJag(token, options()), /not a compact signed JWT/)
    })

    for (const alg of ['none', 'None', 'NONE']) {
      test(`AS-14 rejects alg "${alg}" with a non-empty signature part`, async () => {
        const token = `${b64url({ alg, typ: 'oauth-id-jag+jwt', kid: idpKey.kid })}.${b64url(goodClaims())}.${b64url('x')}`
        await assertInvalidGrant(
          verifyIdJag(token, options()),
          /is signed with ".*", which is not an allowed algorithm/,
        )
      })
    }

    test('AS-14 rejects a header without alg', async () => {
      const token = `${b64url({ typ: 'oauth-id-jag+jwt', kid: idpKey.kid })}.${b64url(goodClaims())}.${b64url('x')}`
      await assertInvalidGrant(verifyIdJag(token, options()), /signed with \(none\), which is not an allowed algorithm/)
    })

    for (const alg of ['HS256', 'HS384', 'HS512']) {
      test(`AS-14 rejects ${alg} signed with the IdP public key as the HMAC secret`, async () => {
        const publicPem = createPublicKey({ key: idpKey.publicJwk as never, format: 'jwk' }).export({
          type: 'spki',
          format: 'pem',
        })
        for (const secret of [Buffer.from(publicPem), Buffer.from(JSON.stringify(idpKey.publicJwk))]) {
          const token = await new SignJWT(goodClaims())
            .setProtectedHeader({ alg, kid: idpKey.kid, typ: 'oauth-id-jag+jwt' })
            .sign(new Uint8Array(secret))
          await assertInvalidGrant(
            verifyIdJag(token, options()),
            new RegExp(`signed with "${alg}", which is not an allowed algorithm`),
          )
        }
      })
    }

    test('AS-14 rejects HS256 even when the caller lists only asymmetric algorithms explicitly', async () => {
      const token = await new SignJWT(goodClaims())
        .setProtectedHeader({ alg: 'HS256', typ: 'oauth-id-jag+jwt' })
        .sign(new Uint8Array(32))
      await assertInvalidGrant(
        verifyIdJag(token, options({ algorithms: ['ES256', 'RS256'] })),
        /"HS256", which is not an allowed algorithm/,
      )
    })

    test('AS-14 rejects an algorithm missing from a custom allow-list', async () => {
      await assertInvalidGrant(
        verifyIdJag(await craft(), options({ algorithms: ['RS256', 'PS256'] })),
        /signed with "ES256", which is not an allowed algorithm/,
      )
    })

    test('AS-14 accepts an algorithm present in a custom allow-list', async () => {
      const rsaKey = await generateSigningKey('PS256')
      const keys = createLocalJWKSet(publicJwks([rsaKey]))
      const claims = await verifyIdJag(
        await craft({}, {}, rsaKey),
        options({ algorithms: ['PS256'], issuerKeys: () => keys }),
      )
      assert.equal(claims.sub, 'user-123')
    })

    test('AS-14 rejects a header alg that differs from the key type (ES256 key, header says ES384)', async () => {
      // The signature part is a valid ES256 signature but the header names ES384.
      const good = await craft()
      const [, payload, signature] = good.split('.')
      const header = b64url({ alg: 'ES384', kid: idpKey.kid, typ: 'oauth-id-jag+jwt' })
      await assertInvalidGrant(
        verifyIdJag(`${header}.${payload}.${signature}`, options()),
        /no key of the ID-JAG issuer matches its "kid"/,
      )
    })
  })

  describe('AS-15 key-bearing headers', () => {
    const headers: Array<[string, Record<string, unknown>]> = [
      ['jku', { jku: 'https://attacker.example/jwks.json' }],
      ['x5u', { x5u: 'https://attacker.example/cert.pem' }],
      ['jwk', { jwk: { ...otherKey.publicJwk } }],
      ['x5c', { x5c: ['MIIBIjANBgkqh'] }],
    ]
    for (const [name, header] of headers) {
      test(`AS-15 rejects an ID-JAG carrying a "${name}" header`, async () => {
        const token = await craft({}, header, name === 'jwk' ? otherKey : idpKey)
        await assertInvalidGrant(verifyIdJag(token, options()), new RegExp(`carries a "${name}" header`))
      })
    }
    test('AS-15 rejects a "jwk" header even when it is the genuine IdP key', async () => {
      const token = await craft({}, { jwk: { ...idpKey.publicJwk } })
      await assertInvalidGrant(verifyIdJag(token, options()), /carries a "jwk" header/)
    })
  })

  describe('AS-16 issuer', () => {
    test('AS-16 rejects an untrusted issuer', async () => {
      await assertInvalidGrant(
        verifyIdJag(await craft({ iss: 'https://evil.example.com' }), options()),
        /issuer "https:\/\/evil\.example\.com" is not trusted/,
      )
    })
    test('AS-16 rejects a missing iss', async () => {
      await assertInvalidGrant(verifyIdJag(await craft({ iss: undefined }), options()), /has no "iss" claim/)
    })
    test('AS-16 rejects an empty iss', async () => {
      await assertInvalidGrant(verifyIdJag(await craft({ iss: '' }), options()), /has no "iss" claim/)
    })
    test('AS-16 rejects a non-string iss', async () => {
      await assertInvalidGrant(verifyIdJag(await craft({ iss: [IDP] }), options()), /has no "iss" claim/)
    })
    for (const iss of [`${IDP}/`, 'https://idp.example.co', 'http://idp.example.com', 'https://IDP.example.com']) {
      test(`AS-16 rejects an issuer variant ${iss}`, async () => {
        await assertInvalidGrant(verifyIdJag(await craft({ iss }), options()), /is not trusted/)
      })
    }
  })

  describe('AS-17 audience', () => {
    test('AS-17 rejects an aud array with two values', async () => {
      await assertInvalidGrant(
        verifyIdJag(await craft({ aud: [AS, 'https://other-as.example.com'] }), options()),
        /must name exactly one authorization server; it names 2/,
      )
    })
    test('AS-17 rejects an aud array with our issuer twice', async () => {
      await assertInvalidGrant(verifyIdJag(await craft({ aud: [AS, AS] }), options()), /it names 2/)
    })
    test('AS-17 rejects an empty aud array', async () => {
      await assertInvalidGrant(verifyIdJag(await craft({ aud: [] }), options()), /it names 0/)
    })
    test('AS-17 rejects a missing aud', async () => {
      await assertInvalidGrant(
        verifyIdJag(await craft({ aud: undefined }), options()),
        /audience is not this authorization server/,
      )
    })
    const variants: Array<[string, unknown]> = [
      ['AS-32 another authorization server', 'https://other-as.example.com'],
      ['a one-element array naming another server', ['https://other-as.example.com']],
      ['a trailing slash', `${AS}/`],
      ['a prefix of our issuer', 'https://as.example.co'],
      ['our issuer as a prefix', `${AS}.evil.com`],
      ['a path suffix', `${AS}/tenant`],
      ['http instead of https', 'http://as.example.com'],
      ['different case', 'https://AS.example.com'],
      ['the resource instead of the AS', RESOURCE],
      ['a number', 42],
    ]
    for (const [name, aud] of variants) {
      test(`AS-17 rejects aud with ${name}`, async () => {
        await assertInvalidGrant(
          verifyIdJag(await craft({ aud }), options()),
          /audience is not this authorization server \(https:\/\/as\.example\.com\)|"aud"/,
        )
      })
    }
  })

  describe('AS-18 AS-19 AS-23 required string claims', () => {
    const cases: Array<[string, string]> = [
      ['AS-18', 'client_id'],
      ['AS-19', 'sub'],
      ['AS-23', 'jti'],
    ]
    for (const [id, claim] of cases) {
      for (const [what, value] of [
        ['missing', undefined],
        ['empty', ''],
        ['a number', 7],
        ['an array', ['x']],
      ] as const) {
        test(`${id} rejects ${what} ${claim}`, async () => {
          await assertInvalidGrant(
            verifyIdJag(await craft({ [claim]: value }), options()),
            new RegExp(`"${claim}" claim is missing or not a non-empty string`),
          )
        })
      }
    }
  })

  describe('AS-20 AS-21 AS-22 time claims', () => {
    test('AS-20 rejects a missing exp', async () => {
      await assertInvalidGrant(verifyIdJag(await craft({ exp: undefined }), options()), /has no "exp" claim/)
    })
    test('AS-20 rejects an expired ID-JAG', async () => {
      await assertInvalidGrant(verifyIdJag(await craft({ iat: T - 400, exp: T - 100 }), options()), /expired/)
    })
    test('AS-20 rejects an ID-JAG expired just beyond the skew', async () => {
      await assertInvalidGrant(verifyIdJag(await craft({ iat: T - 300, exp: T - 30 }), options()), /expired/)
    })
    test('AS-20 rejects an ID-JAG whose exp is now with zero skew', async () => {
      await assertInvalidGrant(
        verifyIdJag(await craft({ iat: T - 300, exp: T }), options({ clockSkewSeconds: 0 })),
        /expired/,
      )
    })
    test('AS-20 accepts an ID-JAG expired within the clock skew', async () => {
      const claims = await verifyIdJag(await craft({ iat: T - 300, exp: T - 10 }), options())
      assert.equal(claims.exp, T - 10)
    })
    test('AS-21 rejects a missing iat', async () => {
      await assertInvalidGrant(verifyIdJag(await craft({ iat: undefined }), options()), /has no "iat" claim/)
    })
    test('AS-21 rejects an iat in the future beyond the skew', async () => {
      await assertInvalidGrant(
        verifyIdJag(await craft({ iat: T + 120, exp: T + 300 }), options()),
        /issued in the future/,
      )
    })
    test('AS-20 AS-21 times beyond what a Date holds are refused as invalid_grant, never a RangeError (found by fuzzing)', async () => {
      await assertInvalidGrant(
        verifyIdJag(await craft({ iat: 8_640_000_000_001, exp: 8_640_000_000_300 }), options()),
        /issued in the future \(iat 8640000000001 \(beyond any date\)\)/,
      )
      await assertInvalidGrant(verifyIdJag(await craft({ iat: T, exp: 1e15 }), options()), /lives|beyond any date/)
      await assertInvalidGrant(verifyIdJag(await craft({ iat: -1e15, exp: -1e15 + 60 }), options()), /expired/) // jose refuses this one first
    })
    test('AS-21 accepts an iat in the future within the skew', async () => {
      const claims = await verifyIdJag(await craft({ iat: T + 20, exp: T + 300 }), options())
      assert.equal(claims.iat, T + 20)
    })
    test('AS-21 IDP-48 rejects a lifetime over the default cap of 600 s', async () => {
      await assertInvalidGrant(
        verifyIdJag(await craft({ iat: T, exp: T + 601 }), options()),
        /lives 601 s; at most 600 s is accepted/,
      )
    })
    test('AS-21 accepts a lifetime of exactly the cap', async () => {
      const claims = await verifyIdJag(await craft({ iat: T, exp: T + 600 }), options())
      assert.equal(claims.exp - claims.iat, 600)
    })
    test('AS-21 rejects an old iat whose lifetime exceeds a custom cap', async () => {
      await assertInvalidGrant(
        verifyIdJag(await craft({ iat: T - 3600, exp: T + 60 }), options({ maxLifetimeSeconds: 300 })),
        /lives 3660 s; at most 300 s/,
      )
    })
    test('AS-22 rejects an nbf in the future', async () => {
      await assertInvalidGrant(verifyIdJag(await craft({ nbf: T + 120 }), options()), /"nbf"/)
    })
    test('AS-22 accepts an nbf in the past', async () => {
      const claims = await verifyIdJag(await craft({ nbf: T - 1 }), options())
      assert.equal(claims.nbf, T - 1)
    })
  })

  describe('AS-33 malformed claims', () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['a string exp', { exp: String(T + 300) }, /"exp"/],
      ['a string iat', { iat: String(T) }, /"iat"/],
      ['a string nbf', { nbf: String(T) }, /"nbf"/],
      [
        'a scope that is not a string',
        { scope: ['files:read', 'files:write'] },
        /"scope" claim must be a space-separated string/,
      ],
      ['a resource that is a number', { resource: 42 }, /"resource" claim must be a URI or an array of URIs/],
      [
        'a resource array with a non-string',
        { resource: [RESOURCE, 42] },
        /"resource" claim must be a URI or an array of URIs/,
      ],
      [
        'a resource that is an object',
        { resource: { uri: RESOURCE } },
        /"resource" claim must be a URI or an array of URIs/,
      ],
    ]
    for (const [name, change, description] of cases) {
      test(`AS-33 rejects ${name}`, async () => {
        await assertInvalidGrant(verifyIdJag(await craft(change), options()), description)
      })
    }
  })

  describe('AS-11 token shape', () => {
    const cases: Array<[string, () => Promise<string> | string, RegExp]> = [
      ['an empty string', () => '', /not a compact signed JWT/],
      ['a random string', () => 'not-a-jwt', /not a compact signed JWT/],
      ['a 2-part token', async () => (await craft()).split('.').slice(0, 2).join('.'), /not a compact signed JWT/],
      ['a 4-part token', async () => `${await craft()}.AAAA`, /not a compact signed JWT/],
      [
        'a token with an empty signature',
        async () => `${(await craft()).split('.').slice(0, 2).join('.')}.`,
        /not a compact signed JWT/,
      ],
      [
        'a 5-part JWE-shaped token',
        () =>
          `${b64url({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', typ: 'oauth-id-jag+jwt' })}.AAAA.AAAA.AAAA.AAAA`,
        /encrypted \(JWE\)/,
      ],
      ['three garbage parts', () => 'a.b.c', /not a well-formed JWT/],
      [
        'a header that is not JSON',
        async () => `${b64url('{nope')}.${(await craft()).split('.').slice(1).join('.')}`,
        /not a well-formed JWT/,
      ],
      [
        'a payload that is not JSON',
        async () => {
          const [h, , s] = (await craft()).split('.')
          return `${h}.${b64url('{"iss":')}.${s}`
        },
        /not a well-formed JWT/,
      ],
      [
        'a payload that is a JSON array',
        async () => {
          const [h, , s] = (await craft()).split('.')
          return `${h}.${b64url([1, 2])}.${s}`
        },
        /not a well-formed JWT/,
      ],
      [
        'an over-long token',
        async () => `${await craft({ padding: 'x'.repeat(9000) })}`,
        /longer than 8192 characters/,
      ],
    ]
    for (const [name, make, description] of cases) {
      test(`AS-11 rejects ${name}`, async () => {
        await assertInvalidGrant(verifyIdJag(await make(), options()), description)
      })
    }
    test('AS-11 honours a custom maxLength', async () => {
      await assertInvalidGrant(verifyIdJag(await craft(), options({ maxLength: 100 })), /longer than 100 characters/)
    })
  })

  test('AS-13 keeps the jose error as the private cause', async () => {
    await assert.rejects(verifyIdJag(await craft({}, { kid: idpKey.kid }, otherKey), options()), (error: unknown) => {
      assert.ok(error instanceof InvalidGrantError)
      assert.ok(error.cause instanceof Error)
      assert.deepEqual(error.toJSON(), { error: 'invalid_grant', error_description: error.description })
      assert.doesNotMatch(JSON.stringify(error.toJSON()), /JWSSignatureVerificationFailed|ERR_JWS/)
      return true
    })
  })
})

test('RS-05 RS-08 values from an unverified token are never repeated raw in a description', async () => {
  const { verifyIdJag: verify } = await import('../src/index.ts')
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const hostile = `${b64({ alg: 'ES256', typ: 'at+jwt\r\nSet-Cookie: x=1\u0100"\\' + 'A'.repeat(200) })}.${b64({ iss: 'x' })}.${b64('sig')}`
  const { createLocalJWKSet } = await import('jose')
  const error = await verify(hostile, {
    issuerKeys: () => createLocalJWKSet({ keys: [] }),
    audience: 'https://as.example',
    now: new Date(),
  }).then(
    () => assert.fail('accepted'),
    (e: unknown) => e as Error & { description: string },
  )
  assert.match(error.description, /^the ID-JAG has typ "at\+jwt\?\?Set-Cookie: x=1\?'' ?A+\.\.\."; expected/)
  assert.ok(/^[\x20-\x7e]*$/.test(error.description), error.description)
  assert.ok(error.description.length < 160)
})
