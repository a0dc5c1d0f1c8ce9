import type { JWTVerifyGetKey } from 'jose'
import { JWT_TYP } from '../constants.ts'
import { InvalidGrantError } from '../errors.ts'
import { verifyJwtStrictly } from '../verify-jwt-strictly.ts'

export interface VerifyIdTokenOptions {
  /** The IdP's issuer; `iss` must equal it exactly. */
  issuer: string
  /** The IdP's keys. */
  keys: JWTVerifyGetKey
  /** The client the ID token must have been issued to: `aud` is it, as a string or a one-element array (IDP-06). */
  audience: string
  now: Date
  algorithms?: readonly string[]
  /** Default 30. */
  clockSkewSeconds?: number
  /** Longest accepted `exp − iat` in seconds. Default 86400. */
  maxLifetimeSeconds?: number
  /** Default 8192. */
  maxLength?: number
  /** A noun for error descriptions. Default "ID token"; the IdP's token exchange says "subject token". */
  label?: string
  /**
   * The `nonce` of the authentication request that obtained the token: when given, the token's `nonce`
   * must equal it (OIDC Core §3.1.3.7 item 11). Leave it out where the sign-in is someone else's.
   */
  nonce?: string
}

/** The ID token claims the token exchange uses. */
export interface IdTokenClaims {
  iss: string
  sub: string
  exp: number
  iat: number
  auth_time?: number
  acr?: string
  amr?: string[]
  [claim: string]: unknown
}

/**
 * Verifies an OpenID Connect ID token presented as an RFC 8693 `subject_token` (IDP-05, IDP-06).
 *
 * Checks, with the same strict rules as every JWT we accept: compact JWS; `typ` absent or `JWT`
 * (so an ID-JAG, access token, logout token … signed with the same key is refused, RFC 8725 §3.12);
 * algorithm allow-list; no self-declared keys; `iss` and signature; `exp` and `iat` present, within
 * skew, lifetime bounded; `nbf`; `aud` = the client, alone (IDP-06); `sub` a non-empty string.
 *
 * Checks `nonce` only when `options.nonce` is given (a relying party verifying its own sign-in); the
 * token exchange does not know the sign-in that obtained the token. Does NOT check that `sub` is still a user.
 *
 * @throws {InvalidGrantError} on any failure (IDP-52).
 */
export async function verifyIdToken(idToken: string, options: VerifyIdTokenOptions): Promise<IdTokenClaims> {
  const label = options.label ?? 'ID token'
  const reject = (description: string, opts?: { cause?: unknown }) => new InvalidGrantError(description, opts)
  const { claims } = await verifyJwtStrictly(idToken, {
    typ: JWT_TYP.CLIENT_ASSERTION, // "JWT", the generic type
    typMayBeAbsent: true,
    issuerKeys: (iss) => (iss === options.issuer ? options.keys : undefined),
    algorithms: options.algorithms,
    now: options.now,
    clockSkewSeconds: options.clockSkewSeconds ?? 30,
    maxLifetimeSeconds: options.maxLifetimeSeconds ?? 86_400,
    maxLength: options.maxLength ?? 8192,
    reject,
    label,
  })
  const aud = Array.isArray(claims.aud) && claims.aud.length === 1 ? claims.aud[0] : claims.aud
  if (aud !== options.audience) throw reject(`the ${label} was issued to another client`) // IDP-06
  if (typeof claims.sub !== 'string' || claims.sub === '') throw reject(`the ${label} has no "sub" claim`)
  if (options.nonce !== undefined && claims.nonce !== options.nonce)
    throw reject(`the ${label} belongs to another sign-in (nonce)`)
  const result: IdTokenClaims = { iss: claims.iss, sub: claims.sub, exp: claims.exp, iat: claims.iat }
  if (typeof claims.auth_time === 'number') result.auth_time = claims.auth_time
  if (typeof claims.acr === 'string') result.acr = claims.acr
  if (Array.isArray(claims.amr) && claims.amr.every((v) => typeof v === 'string')) result.amr = claims.amr as string[]
  return result
}
