import { JWT_TYP } from '../constants.ts'
import { InvalidTokenError } from '../errors.ts'
import { verifyJwtStrictly, type IssuerKeys } from '../verify-jwt-strictly.ts'
import type { AccessTokenClaims } from './access-token-claims.ts'

export interface VerifyAccessTokenOptions {
  /** The authorization server whose tokens this resource accepts (RS-10). */
  issuer: string
  /** Its keys. */
  keys: NonNullable<ReturnType<IssuerKeys>>
  /** This resource's identifier; `aud` must include it (RS-09). */
  audience: string
  now: Date
  algorithms?: readonly string[]
  /** Default 30. */
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
  const reject = (description: string, opts?: { cause?: unknown }) => new InvalidTokenError(description, opts)
  const { claims } = await verifyJwtStrictly(token, {
    typ: JWT_TYP.ACCESS_TOKEN,
    issuerKeys: (iss) => (iss === options.issuer ? options.keys : undefined),
    algorithms: options.algorithms,
    now: options.now,
    clockSkewSeconds: options.clockSkewSeconds ?? 30,
    maxLifetimeSeconds: options.maxLifetimeSeconds ?? 86_400,
    maxLength: options.maxLength ?? 8192,
    reject,
    label: 'access token',
  })
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (!aud.includes(options.audience)) throw reject(`the access token is not for this resource (${options.audience})`) // RS-09
  if (typeof claims.sub !== 'string' || claims.sub === '') throw reject('the access token has no "sub" claim')
  if (typeof claims.client_id !== 'string' || claims.client_id === '')
    throw reject('the access token has no "client_id" claim')
  if (typeof claims.jti !== 'string' || claims.jti === '') throw reject('the access token has no "jti" claim') // RFC 9068 §2.2
  if (claims.scope !== undefined && typeof claims.scope !== 'string')
    throw reject('the access token "scope" claim must be a string')
  return claims as AccessTokenClaims
}
