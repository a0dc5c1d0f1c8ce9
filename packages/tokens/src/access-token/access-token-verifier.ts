import type { JWTVerifyGetKey, ProtectedHeaderParameters } from 'jose'
import type { VerificationKey } from '../keys/verify-jws-signature.ts'
import { withinLifetime } from '../verify-jwt-strictly.ts'
import type { AccessTokenClaims } from './access-token-claims.ts'
import {
  ACCESS_TOKEN_CLOCK_SKEW_SECONDS,
  verifyAccessTokenJws,
  type VerifyAccessTokenOptions,
} from './verify-access-token.ts'

export interface AccessTokenVerifierOptions extends Omit<VerifyAccessTokenOptions, 'now'> {
  /**
   * How many verified tokens to remember (decision 0100), oldest forgotten first. Default 10,000
   * (a few kB each: the token and its claims); 0 verifies every presentation in full.
   */
  cacheEntries?: number
}

export interface AccessTokenVerifier {
  /**
   * `verifyAccessToken` for one resource (RS-09, RS-10, RS-11): the same checks, the same errors.
   * A token verified before is answered from memory while the issuer's key set still resolves its
   * header to the key that verified it and its `exp`, `iat` and `nbf` still pass at `now`.
   */
  verify(token: string, now: Date): Promise<AccessTokenClaims>
  /** How many tokens are remembered now. */
  readonly size: number
}

interface Remembered {
  claims: AccessTokenClaims
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

  const stillValid = async (entry: Remembered, now: Date): Promise<boolean> => {
    if (!withinLifetime(entry.claims, now, skew)) return false
    try {
      return (await options.keys(entry.header as Parameters<JWTVerifyGetKey>[0], entry.jws)) === entry.key
    } catch {
      return false // the full verification below gives the refusal its exact reason
    }
  }

  return {
    async verify(token, now) {
      const entry = remembered.get(token)
      if (entry !== undefined) {
        if (await stillValid(entry, now)) return entry.claims
        remembered.delete(token)
      }
      const { claims, header, key } = await verifyAccessTokenJws(token, { ...options, now })
      if (maxEntries === 0) return claims
      if (remembered.size >= maxEntries) remembered.delete(remembered.keys().next().value!)
      const [protectedHeader, payload, signature] = token.split('.') as [string, string, string]
      remembered.set(token, {
        claims: deepFreeze(claims),
        header,
        jws: { protected: protectedHeader, payload, signature },
        key,
      })
      return claims
    },
    get size() {
      return remembered.size
    },
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
