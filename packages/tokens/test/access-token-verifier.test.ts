import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createLocalJWKSet, errors as joseErrors, type JWTVerifyGetKey } from 'jose'
import {
  createAccessTokenVerifier,
  generateSigningKey,
  InvalidTokenError,
  publicJwks,
  TemporarilyUnavailableError,
  signAccessToken,
  verifyAccessToken,
  type AccessTokenVerifierOptions,
} from '../src/index.ts'

// Decision 0100: a verifier that remembers the tokens it verified answers exactly as verifyAccessToken
// would, at every moment and for every key set, and only skips the repeated signature check.

const AS = 'https://as.example.com'
const RESOURCE = 'https://mcp.example.com/mcp'
const NOW = new Date('2025-06-01T12:00:00Z')
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000)

const asKey = await generateSigningKey()
const mint = (
  overrides: { audience?: string; now?: Date; subject?: string; extraClaims?: Record<string, unknown> } = {},
) =>
  signAccessToken({
    issuer: AS,
    subject: overrides.subject ?? 'local-user-1',
    audience: overrides.audience ?? RESOURCE,
    clientId: 'mcp-client',
    scope: 'tasks.read',
    expiresInSeconds: 600,
    now: overrides.now ?? NOW,
    key: asKey,
    ...(overrides.extraClaims === undefined ? {} : { extraClaims: overrides.extraClaims }),
  })

/** A key set whose contents the test changes, as an AS's JWKS changes when it rotates its keys. */
function changingKeySet(initial: JWTVerifyGetKey) {
  let current = initial
  return {
    keys: ((header, token) => current(header, token)) as JWTVerifyGetKey,
    replace(next: JWTVerifyGetKey) {
      current = next
    },
  }
}

const verifierOptions = (overrides: Partial<AccessTokenVerifierOptions> = {}): AccessTokenVerifierOptions => ({
  issuer: AS,
  keys: createLocalJWKSet(publicJwks([asKey])),
  audience: RESOURCE,
  ...overrides,
})

/** The refusal of `promise`: an invalid_token error (401); returns its description. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  let description = ''
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InvalidTokenError, `expected InvalidTokenError, got ${String(error)}`)
    assert.equal(error.status, 401)
    description = error.description
    return true
  })
  return description
}

describe('createAccessTokenVerifier (decision 0100)', () => {
  test('RS-09 RS-10 a token verified once is answered from memory: the same claims, one entry', async () => {
    const verifier = createAccessTokenVerifier(verifierOptions())
    const token = await mint()
    const first = await verifier.verify(token, NOW)
    const again = await verifier.verify(token, at(60))
    assert.equal(again, first, 'the second presentation is answered with the remembered claims')
    assert.equal(first.sub, 'local-user-1')
    assert.equal(verifier.size, 1)
  })

  test('RS-10 a remembered token is refused once it has expired, with the description of a full verification', async () => {
    const verifier = createAccessTokenVerifier(verifierOptions())
    const token = await mint()
    await verifier.verify(token, NOW)
    const late = at(600 + 30) // exp + the 30 s of clock skew: expired
    const description = await refusal(verifier.verify(token, late))
    assert.match(description, /expired/)
    assert.equal(description, await refusal(verifyAccessToken(token, { ...verifierOptions(), now: late })))
    assert.equal(verifier.size, 0, 'the expired token is forgotten')
  })

  test('RS-10 a remembered token is refused when the clock is before its iat (beyond the skew)', async () => {
    const verifier = createAccessTokenVerifier(verifierOptions())
    const token = await mint()
    await verifier.verify(token, NOW)
    assert.match(await refusal(verifier.verify(token, at(-31))), /issued in the future/)
  })

  test('RS-10 a remembered token is refused when the clock is before its nbf (beyond the skew)', async () => {
    const verifier = createAccessTokenVerifier(verifierOptions())
    const token = await mint({ extraClaims: { nbf: Math.floor(NOW.getTime() / 1000) + 60 } })
    await verifier.verify(token, at(61))
    const description = await refusal(verifier.verify(token, NOW))
    assert.match(description, /not valid yet/)
    assert.equal(description, await refusal(verifyAccessToken(token, { ...verifierOptions(), now: NOW })))
  })

  test('RS-10 when the key set cannot answer for a remembered token, it is asked once and the answer is 503', async () => {
    let calls = 0
    let down = false
    const jwks = createLocalJWKSet(publicJwks([asKey]))
    const keys: JWTVerifyGetKey = async (header, token) => {
      calls++
      if (down) throw new joseErrors.JWKSTimeout()
      return jwks(header, token)
    }
    const verifier = createAccessTokenVerifier(verifierOptions({ keys }))
    const token = await mint()
    await verifier.verify(token, NOW)
    down = true
    calls = 0
    await assert.rejects(verifier.verify(token, at(1)), (error: unknown) => {
      assert.ok(
        error instanceof TemporarilyUnavailableError,
        `expected TemporarilyUnavailableError, got ${String(error)}`,
      )
      assert.equal(error.status, 503)
      return true
    })
    assert.equal(calls, 1, 'one wait for the key set, not two')
  })

  test('RS-10 a remembered token is verified in full again when the key that verified it leaves the key set', async () => {
    const keySet = changingKeySet(createLocalJWKSet(publicJwks([asKey])))
    const verifier = createAccessTokenVerifier(verifierOptions({ keys: keySet.keys }))
    const token = await mint()
    await verifier.verify(token, NOW)
    // The AS rotated: its JWKS now holds only a new key, without the old kid.
    keySet.replace(createLocalJWKSet(publicJwks([await generateSigningKey()])))
    assert.match(await refusal(verifier.verify(token, at(1))), /no key of the access token issuer matches/)
  })

  test('RS-10 a key published under the old kid does not inherit the tokens the old key verified', async () => {
    const keySet = changingKeySet(createLocalJWKSet(publicJwks([asKey])))
    const verifier = createAccessTokenVerifier(verifierOptions({ keys: keySet.keys }))
    const token = await mint()
    await verifier.verify(token, NOW)
    const impostor = publicJwks([await generateSigningKey()])
    keySet.replace(createLocalJWKSet({ keys: impostor.keys.map((jwk) => ({ ...jwk, kid: asKey.kid })) }))
    assert.match(await refusal(verifier.verify(token, at(1))), /signature does not verify/)
  })

  test('RS-10 the same key set fetched again (new key objects) still accepts the token, after a full verification', async () => {
    const keySet = changingKeySet(createLocalJWKSet(publicJwks([asKey])))
    const verifier = createAccessTokenVerifier(verifierOptions({ keys: keySet.keys }))
    const token = await mint()
    const first = await verifier.verify(token, NOW)
    keySet.replace(createLocalJWKSet(publicJwks([asKey])))
    const second = await verifier.verify(token, at(1))
    assert.notEqual(second, first, 'verified again, not answered from memory')
    assert.deepEqual(second, first)
  })

  test('RS-10 a token one character away from a remembered one is not taken for it', async () => {
    const verifier = createAccessTokenVerifier(verifierOptions())
    const token = await mint()
    await verifier.verify(token, NOW)
    const last = token.at(-2) === 'A' ? 'B' : 'A'
    const altered = `${token.slice(0, -2)}${last}${token.at(-1)}`
    assert.match(await refusal(verifier.verify(altered, NOW)), /signature does not verify|could not be verified/)
  })

  test('RS-09 a refused token is never remembered', async () => {
    const verifier = createAccessTokenVerifier(verifierOptions())
    assert.match(
      await refusal(verifier.verify(await mint({ audience: 'https://other.example.com' }), NOW)),
      /not for this resource/,
    )
    assert.equal(verifier.size, 0)
  })

  test('at most cacheEntries tokens are remembered, the oldest forgotten first; 0 remembers none', async () => {
    const verifier = createAccessTokenVerifier(verifierOptions({ cacheEntries: 2 }))
    const tokens = await Promise.all(['a', 'b', 'c'].map((subject) => mint({ subject })))
    const claims = []
    for (const token of tokens) claims.push(await verifier.verify(token, NOW))
    assert.equal(verifier.size, 2)
    assert.notEqual(await verifier.verify(tokens[0]!, NOW), claims[0], 'the oldest was forgotten')
    assert.equal(await verifier.verify(tokens[2]!, NOW), claims[2], 'the newest is remembered')

    // Two first presentations of one token at once: one entry, and no other token evicted for it.
    const pair = createAccessTokenVerifier(verifierOptions({ cacheEntries: 2 }))
    const kept = await pair.verify(tokens[0]!, NOW)
    await Promise.all([pair.verify(tokens[1]!, NOW), pair.verify(tokens[1]!, NOW)])
    assert.equal(pair.size, 2)
    assert.equal(await pair.verify(tokens[0]!, NOW), kept)

    const none = createAccessTokenVerifier(verifierOptions({ cacheEntries: 0 }))
    const token = await mint()
    assert.notEqual(await none.verify(token, NOW), await none.verify(token, NOW))
    assert.equal(none.size, 0)
    assert.throws(() => createAccessTokenVerifier(verifierOptions({ cacheEntries: -1 })), /whole number/)
  })

  test('remembered claims cannot be changed by one caller for the next', async () => {
    const verifier = createAccessTokenVerifier(verifierOptions())
    const claims = await verifier.verify(await mint({ extraClaims: { act: { sub: 'agent' } } }), NOW)
    assert.throws(() => {
      ;(claims as { sub: string }).sub = 'someone-else'
    }, TypeError)
    assert.throws(() => {
      ;(claims.act as { sub: string }).sub = 'someone-else'
    }, TypeError)
    assert.equal(claims.sub, 'local-user-1')
    assert.equal(claims.act?.sub, 'agent')
  })
})
