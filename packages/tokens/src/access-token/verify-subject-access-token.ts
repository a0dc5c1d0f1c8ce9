import { createLocalJWKSet } from 'jose'
import { InvalidRequestError, InvalidTokenError, OAuthError } from '../errors.ts'
import { publicJwks, type SigningKey } from '../keys/signing-key.ts'
import type { AccessTokenClaims } from './access-token-claims.ts'
import { verifyAccessToken } from './verify-access-token.ts'

export interface VerifySubjectAccessTokenOptions {
  /** This authorization server's issuer: the subject token must be one of its own access tokens. */
  issuer: string
  /** The keys this server signs access tokens with (the current one first). */
  keys: readonly SigningKey[]
  /** The one resource the subject token must be addressed to: the MCP server the exchanging client is tied to. */
  audience: string
  now: Date
  clockSkewSeconds: number
  /** Longest acceptable `exp − iat`. Default 86400. */
  maxLifetimeSeconds?: number
}

/** An actor in an `act` chain (RFC 8693 §4.1): `sub`, and the prior actor, if any. */
export interface ActorClaim {
  sub: string
  act?: ActorClaim
  [claim: string]: unknown
}

/** RFC 8693 §4.4: the party the subject token says may act for its subject. */
export interface MayActClaim {
  sub: string
  iss?: string
  [claim: string]: unknown
}

/** The claims of a verified subject token, with `act` and `may_act` checked for shape. */
export interface SubjectAccessTokenClaims extends AccessTokenClaims {
  aud: string
  act?: ActorClaim
  may_act?: MayActClaim
}

/**
 * Verifies the `subject_token` of an RFC 8693 token exchange as one of this authorization server's
 * own RFC 9068 access tokens (OBO-02, OBO-09).
 *
 * Checks everything `verifyAccessToken` checks (`typ` = `at+jwt`, so an ID-JAG, an ID token or a
 * client assertion is refused; the algorithm allow-list; `iss` = this server and the signature with
 * its own keys; `exp`/`iat`/`nbf`; `sub`, `client_id`, `jti`), and further: `aud` is exactly
 * `audience`, one value (this server restricts each access token to one resource, AS-37); `act`, when
 * present, is a chain of objects each with a string `sub` (RFC 8693 §4.1); `may_act`, when present, is
 * an object with a string `sub` and an optional string `iss` (RFC 8693 §4.4).
 *
 * Does NOT decide whether the client may exchange it (`may_act`, the client's MCP server), how deep
 * the `act` chain may grow, or what may be issued: the grant owns that policy.
 *
 * @throws {InvalidRequestError} on any failure (RFC 8693 §2.2.2: an invalid or unacceptable subject
 *   token is `invalid_request`); the description starts with "the subject_token"; the verifier's
 *   error is the `cause`.
 */
export async function verifySubjectAccessToken(
  token: string,
  options: VerifySubjectAccessTokenOptions,
): Promise<SubjectAccessTokenClaims> {
  let claims: AccessTokenClaims
  try {
    claims = await verifyAccessToken(token, {
      issuer: options.issuer,
      keys: createLocalJWKSet(publicJwks(options.keys)),
      audience: options.audience,
      now: options.now,
      clockSkewSeconds: options.clockSkewSeconds,
      ...(options.maxLifetimeSeconds === undefined ? {} : { maxLifetimeSeconds: options.maxLifetimeSeconds }),
    })
  } catch (cause) {
    if (cause instanceof InvalidTokenError)
      throw new InvalidRequestError(`the subject_token is not acceptable: ${cause.description}`, { cause })
    if (cause instanceof OAuthError) throw cause
    throw new InvalidRequestError('the subject_token could not be verified', { cause })
  }
  const reject = (description: string) => new InvalidRequestError(`the subject_token is not acceptable: ${description}`)
  if (Array.isArray(claims.aud) && (claims.aud.length !== 1 || claims.aud[0] !== options.audience)) {
    throw reject(`its "aud" must be exactly "${options.audience}", one value`)
  }
  if (claims.act !== undefined) requireActorChain(claims.act, reject)
  if (claims.may_act !== undefined && !isMayAct(claims.may_act)) {
    throw reject('its "may_act" claim must be an object with a string "sub" (RFC 8693 §4.4)')
  }
  return { ...claims, aud: options.audience } as SubjectAccessTokenClaims
}

/** RFC 8693 §4.1: `act` is an object with a string `sub`; a nested `act` is the prior actor, and so on. */
function requireActorChain(act: unknown, reject: (description: string) => InvalidRequestError): void {
  let actor: unknown = act
  while (actor !== undefined) {
    if (typeof actor !== 'object' || actor === null || Array.isArray(actor))
      throw reject('an "act" claim must be a JSON object (RFC 8693 §4.1)')
    const { sub } = actor as Record<string, unknown>
    if (typeof sub !== 'string' || sub === '')
      throw reject('every actor in its "act" claim must have a string "sub" (RFC 8693 §4.1)')
    actor = (actor as Record<string, unknown>).act
  }
}

function isMayAct(value: unknown): value is MayActClaim {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const { sub, iss } = value as Record<string, unknown>
  return typeof sub === 'string' && sub !== '' && (iss === undefined || typeof iss === 'string')
}
