import { InvalidGrantError, JWT_TYP, publicJwks, type SigningKey } from '@ema/tokens'
import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose'

export interface VerifySubjectTokenOptions {
  /** This IdP's issuer identifier; the ID token's `iss` must equal it. */
  issuer: string
  /** The client that authenticated this request; the ID token's `aud` must be it (IDP-06). */
  clientId: string
  /** This IdP's signing keys (the ones oidc-provider signs ID tokens with). */
  keys: readonly SigningKey[]
  now: Date
  clockSkewSeconds: number
}

/** The subject ID token's claims we use. */
export interface SubjectTokenClaims {
  sub: string
  auth_time?: number
  acr?: string
  amr?: string[]
}

/** JWT types that are never ID tokens, though this IdP signs them with the same key. */
const NOT_ID_TOKEN_TYPES = new Set([JWT_TYP.ID_JAG, JWT_TYP.ACCESS_TOKEN].map((typ) => typ.toLowerCase()))

/**
 * Validates the subject token of a token exchange as an ID token this IdP issued to the calling
 * client (IDP-05, IDP-06): compact JWS signed with one of our keys and algorithms, not an ID-JAG
 * or access token by `typ`, `iss` = our issuer, `exp`/`iat` present and `exp` not passed (with
 * skew), `sub` present, and `aud` = the authenticated client's id (a string or one-element array).
 *
 * Does NOT check that `sub` is still a user of the directory; the grant does that.
 *
 * Note: this is JWT verification living in an app. It belongs in packages/tokens as a
 * `verifyIdToken` (see the README), and moves there when that exists.
 *
 * @throws {InvalidGrantError} describing the first failed check (IDP-52).
 */
export async function verifySubjectToken(subjectToken: string, options: VerifySubjectTokenOptions): Promise<SubjectTokenClaims> {
  let typ: unknown
  try {
    typ = decodeProtectedHeader(subjectToken).typ
  } catch (cause) {
    throw new InvalidGrantError('the subject token is not a well-formed JWT', { cause })
  }
  if (typeof typ === 'string' && NOT_ID_TOKEN_TYPES.has(typ.toLowerCase().replace(/^application\//, ''))) {
    throw new InvalidGrantError(`the subject token has typ "${typ}"; it is not an ID token`)
  }

  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(subjectToken, createLocalJWKSet(publicJwks(options.keys)), {
      algorithms: [...new Set(options.keys.map((key) => key.alg))],
      issuer: options.issuer,
      currentDate: options.now,
      clockTolerance: options.clockSkewSeconds,
      requiredClaims: ['exp', 'iat', 'sub'],
    }))
  } catch (cause) {
    throw new InvalidGrantError(describeFailure(cause), { cause })
  }

  // IDP-06: the ID token's audience must be the client that authenticated this request.
  const aud = Array.isArray(payload.aud) && payload.aud.length === 1 ? payload.aud[0] : payload.aud
  if (aud !== options.clientId) {
    throw new InvalidGrantError('the subject token was issued to another client')
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new InvalidGrantError('the subject token has no "sub" claim')

  const claims: SubjectTokenClaims = { sub: payload.sub }
  if (typeof payload.auth_time === 'number') claims.auth_time = payload.auth_time
  if (typeof payload.acr === 'string') claims.acr = payload.acr
  if (Array.isArray(payload.amr) && payload.amr.every((v) => typeof v === 'string')) claims.amr = payload.amr
  return claims
}

function describeFailure(cause: unknown): string {
  if (cause instanceof joseErrors.JWTExpired) return 'the subject token has expired'
  if (cause instanceof joseErrors.JWTClaimValidationFailed) {
    if (cause.claim === 'iss') return 'the subject token was not issued by this IdP'
    return `the subject token claim "${cause.claim}" is invalid: ${cause.reason}`
  }
  if (cause instanceof joseErrors.JWSSignatureVerificationFailed || cause instanceof joseErrors.JWKSNoMatchingKey) {
    return 'the subject token was not signed by this IdP'
  }
  if (cause instanceof joseErrors.JOSEAlgNotAllowed) return 'the subject token is signed with an algorithm this IdP does not use'
  return 'the subject token is not a valid ID token from this IdP'
}
