import { publicJwks, verifyIdToken, type IdTokenClaims, type SigningKey } from '@ema/tokens'
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose'

/** How long this IdP's ID tokens live (oidc-provider `ttl.IdToken`); a longer-lived one is refused. */
export const ID_TOKEN_LIFETIME_SECONDS = 3600

export interface VerifySubjectTokenOptions {
  /** This IdP's issuer identifier; the ID token's `iss` must equal it. */
  issuer: string
  /** The client that authenticated this request; the ID token's `aud` must be it (IDP-06). */
  clientId: string
  /** This IdP's signing key (the one oidc-provider signs ID tokens with). */
  key: SigningKey
  now: Date
  clockSkewSeconds: number
}

/**
 * Validates the subject token of a token exchange as an ID token this IdP issued to the calling
 * client (IDP-05, IDP-06), with the token library's strict `verifyIdToken`: `typ` absent or `JWT`
 * (an ID-JAG, access token or logout token signed with the same key is refused), our key and
 * algorithms, `iss` = us, `exp`/`iat` within skew, lifetime at most our ID token lifetime, `sub`,
 * and `aud` = the authenticated client.
 *
 * Does NOT check that `sub` is still a user of the directory; the grant does that.
 *
 * @throws {InvalidGrantError} describing the first failed check (IDP-52).
 */
export async function verifySubjectToken(
  subjectToken: string,
  options: VerifySubjectTokenOptions,
): Promise<IdTokenClaims> {
  return verifyIdToken(subjectToken, {
    issuer: options.issuer,
    keys: keySetOf(options.key),
    algorithms: [options.key.alg],
    audience: options.clientId, // IDP-06
    now: options.now,
    clockSkewSeconds: options.clockSkewSeconds,
    maxLifetimeSeconds: ID_TOKEN_LIFETIME_SECONDS,
    label: 'subject token',
  })
}

/** The key set for a signing key, built once per key rather than once per token exchange. */
const keySets = new WeakMap<SigningKey, JWTVerifyGetKey>()
function keySetOf(key: SigningKey): JWTVerifyGetKey {
  let keySet = keySets.get(key)
  if (keySet === undefined) {
    keySet = createLocalJWKSet(publicJwks([key]))
    keySets.set(key, keySet)
  }
  return keySet
}
