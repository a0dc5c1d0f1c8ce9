import { JWT_TYP } from '../constants.ts'
import { InvalidTokenError } from '../errors.ts'
import { verifyJwtStrictly, type IssuerKeys, type VerifiedJwt } from '../verify-jwt-strictly.ts'
import type { AccessTokenClaims } from './access-token-claims.ts'

/** The clock skew an access token's `exp`, `iat` and `nbf` are checked with unless told otherwise. */
export const ACCESS_TOKEN_CLOCK_SKEW_SECONDS = 30

export interface VerifyAccessTokenOptions {
  /** The authorization server whose tokens this resource accepts (RS-10). */
  issuer: string
  /** Its keys. */
  keys: NonNullable<ReturnType<IssuerKeys>>
  /** This resource's identifier; `aud` must include it (RS-09). */
  audience: string
  now: Date
  algorithms?: readonly string[]
  /** Default 30 (`ACCESS_TOKEN_CLOCK_SKEW_SECONDS`). */
  clockSkewSeconds?: number
  /** Default 86400. */
  maxLifetimeSeconds?: number
  /** Default 8192. */
  maxLength?: number
}

/**
 * Verifies an RFC 9068 access token at a resource server (RS-09, RS-10, RS-11).
 *
 * Checks: `typ` = `at+jwt` (so ID-JAGs, ID tokens and client assertions are refused, RS-11); the
 * algorithm allow-list; `iss` is our authorization server and the signature verifies with its keys;
 * `aud` includes this resource; `exp`/`iat`/`nbf`; `sub`, `client_id` and `jti` present.
 *
 * Does NOT check scopes: the caller knows which scope an operation needs.
 *
 * @throws {InvalidTokenError} on any failure.
 * @throws {TemporarilyUnavailableError} when the authorization server's keys cannot be fetched.
 */
export async function verifyAccessToken(token: string, options: VerifyAccessTokenOptions): Promise<AccessTokenClaims> {
  return (await verifyAccessTokenJws(token, options)).claims
}

/** `verifyAccessToken`, also giving the token's header and the key that verified it (for `createAccessTokenVerifier`). */
export async function verifyAccessTokenJws(
  token: string,
  options: VerifyAccessTokenOptions,
): Promise<Omit<VerifiedJwt, 'claims'> & { claims: AccessTokenClaims }> {
  const reject = (description: string, opts?: { cause?: unknown }) => new InvalidTokenError(description, opts)
  const verified = await verifyJwtStrictly(token, {
    typ: JWT_TYP.ACCESS_TOKEN,
    issuerKeys: (iss) => (iss === options.issuer ? options.keys : undefined),
    algorithms: options.algorithms,
    now: options.now,
    clockSkewSeconds: options.clockSkewSeconds ?? ACCESS_TOKEN_CLOCK_SKEW_SECONDS,
    maxLifetimeSeconds: options.maxLifetimeSeconds ?? 86_400,
    maxLength: options.maxLength ?? 8192,
    reject,
    label: 'access token',
  })
  const { claims } = verified
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (!aud.includes(options.audience)) throw reject(`the access token is not for this resource (${options.audience})`) // RS-09
  if (typeof claims.sub !== 'string' || claims.sub === '') throw reject('the access token has no "sub" claim')
  if (typeof claims.client_id !== 'string' || claims.client_id === '')
    throw reject('the access token has no "client_id" claim')
  if (typeof claims.jti !== 'string' || claims.jti === '') throw reject('the access token has no "jti" claim') // RFC 9068 §2.2
  if (claims.scope !== undefined && typeof claims.scope !== 'string')
    throw reject('the access token "scope" claim must be a string')
  return { ...verified, claims: claims as AccessTokenClaims }
}
