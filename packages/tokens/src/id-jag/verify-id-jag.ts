import { JWT_TYP } from '../constants.ts'
import { InvalidGrantError } from '../errors.ts'
import { verifyJwtStrictly, type IssuerKeys } from '../verify-jwt-strictly.ts'
import type { IdJagClaims } from './id-jag-claims.ts'

export interface VerifyIdJagOptions {
  /** Trusted IdPs and their keys (AS-16). An issuer for which this returns `undefined` is refused. */
  issuerKeys: IssuerKeys
  /** This authorization server's issuer identifier; `aud` must equal it exactly (AS-17). */
  audience: string
  now: Date
  /** Allowed algorithms (AS-14). Default: every asymmetric algorithm. */
  algorithms?: readonly string[]
  /** Allowed clock skew in seconds (AS-20). Default 30. */
  clockSkewSeconds?: number
  /** Longest accepted `exp − iat` in seconds (AS-21, IDP-48). Default 600. */
  maxLifetimeSeconds?: number
  /** Longest accepted assertion, in characters. Default 8192. */
  maxLength?: number
}

/**
 * Verifies an ID-JAG presented to this authorization server (AS-11 … AS-23 except the checks below).
 *
 * Checks: compact JWS; `typ` = `oauth-id-jag+jwt` (AS-12); algorithm on the allow-list, never
 * `none` (AS-14); no self-declared keys; `iss` is a trusted IdP and the signature verifies with that
 * IdP's keys (AS-13, AS-16); `aud` is this server's issuer, as a string or a one-element array (AS-17);
 * `exp` and `iat` present, within skew, lifetime bounded (AS-20, AS-21); `nbf` honoured (AS-22);
 * `sub`, `client_id` and `jti` present as non-empty strings (AS-18, AS-19, AS-23); `scope` a string
 * and `resource` a string or array of strings when present.
 *
 * Does NOT check that `client_id` is the authenticated client, that `resource` is a server we protect,
 * or whether `jti` was already used: the token endpoint owns those (AS-18, AS-24, AS-23).
 *
 * @throws {InvalidGrantError} on any failure, with the jose error as `cause`.
 * @throws {TemporarilyUnavailableError} when the issuer's keys cannot be fetched.
 */
export async function verifyIdJag(assertion: string, options: VerifyIdJagOptions): Promise<IdJagClaims> {
  const reject = (description: string, opts?: { cause?: unknown }) => new InvalidGrantError(description, opts)
  const { claims } = await verifyJwtStrictly(assertion, {
    typ: JWT_TYP.ID_JAG, // AS-12
    issuerKeys: options.issuerKeys, // AS-13, AS-16
    algorithms: options.algorithms, // AS-14
    now: options.now,
    clockSkewSeconds: options.clockSkewSeconds ?? 30, // AS-20
    maxLifetimeSeconds: options.maxLifetimeSeconds ?? 600, // AS-21
    maxLength: options.maxLength ?? 8192,
    reject,
    label: 'ID-JAG',
  })

  // AS-17, SEC-16: aud is our issuer (an ID-JAG for another server is never redeemed here), as a string or an array with exactly one element equal to it.
  const aud = claims.aud
  const single = Array.isArray(aud) ? (aud.length === 1 ? aud[0] : undefined) : aud
  if (single !== options.audience) {
    throw reject(
      Array.isArray(aud) && aud.length !== 1
        ? `the ID-JAG "aud" must name exactly one authorization server; it names ${aud.length}`
        : `the ID-JAG audience is not this authorization server (${options.audience})`,
    )
  }
  requireNonEmptyString(claims.sub, 'sub', reject) // AS-19
  requireNonEmptyString(claims.client_id, 'client_id', reject) // AS-18
  requireNonEmptyString(claims.jti, 'jti', reject) // AS-23
  if (claims.scope !== undefined && typeof claims.scope !== 'string')
    throw reject('the ID-JAG "scope" claim must be a space-separated string')
  const resource = claims.resource
  if (
    resource !== undefined &&
    typeof resource !== 'string' &&
    !(Array.isArray(resource) && resource.every((r) => typeof r === 'string'))
  ) {
    throw reject('the ID-JAG "resource" claim must be a URI or an array of URIs')
  }
  return { ...claims, aud: single } as IdJagClaims
}

function requireNonEmptyString(value: unknown, name: string, reject: (d: string) => Error): asserts value is string {
  if (typeof value !== 'string' || value === '')
    throw reject(`the ID-JAG "${name}" claim is missing or not a non-empty string`)
}
