import type { JWTVerifyGetKey, ProtectedHeaderParameters } from 'jose'
import type { VerificationKey } from '../keys/verify-jws-signature.ts'
import { outsideLifetime } from '../verify-jwt-strictly.ts'
import type { AccessTokenClaims } from './access-token-claims.ts'
import {
  ACCESS_TOKEN_CLOCK_SKEW_SECONDS,
  verifyAccessTokenJws,
  type VerifyAccessTokenOptions,
} from './verify-access-token.ts'

export interface AccessTokenVerifierOptions extends Omit<VerifyAccessTokenOptions, 'now'> {
  /**
   * How many verified tokens to remember (decision 0100), oldest forgotten first. Default 10,000
   * (about 1 kB each for a demo token and its claims); 0 verifies every presentation in full.
   */
  cacheEntries?: number
}

/** Claims a verifier hands out: shared by every presentation of the token, so nobody may change them (frozen). */
export type FrozenAccessTokenClaims = DeepReadonly<AccessTokenClaims>
type DeepReadonly<T> = T extends readonly (infer U)[]
  ? ReadonlyArray<DeepReadonly<U>>
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T

export interface AccessTokenVerifier {
  /**
   * `verifyAccessToken` for one resource (RS-09, RS-10, RS-11): the same checks, the same errors.
   * A token verified before is answered from memory while the issuer's key set still resolves its
   * header to the key that verified it and its `exp`, `iat` and `nbf` still pass at `now`.
   */
  verify(token: string, now: Date): Promise<FrozenAccessTokenClaims>
  /** How many tokens are remembered now. */
  readonly size: number
}

interface Remembered {
  claims: FrozenAccessTokenClaims
  header: ProtectedHeaderParameters
  /** What the key set is asked again: the token's parts, as `verifyJwsSignature` passes them. */
  jws: Parameters<JWTVerifyGetKey>[1]
  key: VerificationKey
}

/**
 * Decision 0100: a resource server sees the same access token on every request of a session, and
 * checking its ECDSA signature again gives the same answer as long as the key is the same. So this
 * verifier remembers each token it verified, by its exact text, with the key that verified it. On
 * the next presentation it asks the key set for the key again (a map lookup while the JWKS is cached;
 * a key rotated out, a refetched JWKS or the last-good fallback of an outage give another object,
 * and the token is verified in full) and checks the time-dependent claims at `now`. Everything else
 * `verifyAccessToken` checks depends only on the token's bytes and these options. Refused tokens are
 * never remembered, so only tokens our authorization server signed take room.
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const maxEntries = options.cacheEntries ?? 10_000
  if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new TypeError('cacheEntries must be a whole number')
  const skew = options.clockSkewSeconds ?? ACCESS_TOKEN_CLOCK_SKEW_SECONDS
  const remembered = new Map<string, Remembered>()

  return {
    async verify(token, now) {
      let keys = options.keys
      const entry = remembered.get(token)
      if (entry !== undefined) {
        if (outsideLifetime(entry.claims, now, skew) === undefined) {
          // Asked once: on a miss the full verification below reuses this answer (or its failure), so a
          // JWKS outage costs one wait, not two.
          const resolved = resolveKey(options.keys, entry)
          try {
            if ((await resolved) === entry.key) return entry.claims
          } catch {
            // the full verification below gives the refusal its exact reason
          }
          keys = answerOnceWith(resolved, options.keys)
        }
        remembered.delete(token)
      }
      const { claims, header, key } = await verifyAccessTokenJws(token, { ...options, keys, now })
      const frozen = deepFreeze(claims) as FrozenAccessTokenClaims
      if (maxEntries === 0) return frozen
      remembered.delete(token) // verified twice at once: one entry, and no other token evicted for it
      if (remembered.size >= maxEntries) remembered.delete(remembered.keys().next().value!)
      const [protectedHeader, payload, signature] = token.split('.') as [string, string, string]
      remembered.set(token, { claims: frozen, header, jws: { protected: protectedHeader, payload, signature }, key })
      return frozen
    },
    get size() {
      return remembered.size
    },
  }
}

/** The key set's answer for a remembered token's header, a synchronous throw turned into a rejection. */
function resolveKey(keys: JWTVerifyGetKey, entry: Remembered): ReturnType<JWTVerifyGetKey> {
  try {
    return keys(entry.header as Parameters<JWTVerifyGetKey>[0], entry.jws)
  } catch (error) {
    return Promise.reject(error)
  }
}

/** A key set whose first answer is `first` (already asked for the same token), and `keys`' after it. */
function answerOnceWith(first: ReturnType<JWTVerifyGetKey>, keys: JWTVerifyGetKey): JWTVerifyGetKey {
  let pending: ReturnType<JWTVerifyGetKey> | undefined = first
  return (header, token) => {
    const answer = pending ?? keys(header, token)
    pending = undefined
    return answer
  }
}

/** Claims handed to every later caller of the same token: nobody may change them for the next one. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const member of Object.values(value)) deepFreeze(member)
  }
  return value
}
