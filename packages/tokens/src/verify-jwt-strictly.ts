import {
  base64url,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  UnsecuredJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
  type ProtectedHeaderParameters,
} from 'jose'
import { ASYMMETRIC_ALGORITHMS } from './constants.ts'
import { TemporarilyUnavailableError, type OAuthError, type OAuthErrorOptions } from './errors.ts'
import { isKeySetOutage } from './keys/remote-key-set.ts'
import { verifyJwsSignature, type VerificationKey } from './keys/verify-jws-signature.ts'

const BASE64URL = /^[A-Za-z0-9_-]+$/
/** `{"alg":"none"}`: the header under which jose's claims validation reads a payload whose signature was verified already. */
const UNSECURED_HEADER = Buffer.from('{"alg":"none"}').toString('base64url')

/** Resolves a trusted issuer to the keys that may sign for it; `undefined` means "not trusted". */
export type IssuerKeys = (issuer: string) => JWTVerifyGetKey | undefined

export interface VerifyJwtStrictlyOptions {
  /** The one `typ` this kind of JWT must carry (RFC 8725 §3.11); `application/` prefix and case are ignored. */
  typ: string
  /** For JWT kinds whose specification defines no type (OIDC ID tokens): an absent `typ` is accepted too. */
  typMayBeAbsent?: boolean
  /** Keys of trusted issuers only. */
  issuerKeys: IssuerKeys
  /** Allowed algorithms; defaults to every asymmetric one. Never `none`, never HMAC. */
  algorithms?: readonly string[]
  now: Date
  /** Allowed clock skew in seconds. */
  clockSkewSeconds: number
  /** Longest acceptable `exp − iat` in seconds. */
  maxLifetimeSeconds: number
  /** Longest acceptable token in characters. */
  maxLength: number
  /** Builds the error thrown for any rejection (invalid_grant for assertions, invalid_token for access tokens). */
  reject: (description: string, options?: OAuthErrorOptions) => OAuthError
  /** A noun for error descriptions, e.g. "ID-JAG". */
  label: string
}

export interface VerifiedJwt {
  header: ProtectedHeaderParameters
  claims: JWTPayload & { iss: string; exp: number; iat: number }
  /** The issuer's key the signature verified with, as `issuerKeys` resolved it. */
  key: VerificationKey
}

/** Headers that would let a token name its own verification key (RFC 8725 §3.10, CVE-2018-0114 and kin). */
const KEY_BEARING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const

/**
 * The checks every JWT we accept shares: shape, unique member names in header and claims (AS-33),
 * no nesting (`cty`, AS-31), explicit `typ`, algorithm allow-list, no self-declared keys, trusted
 * `iss`, signature, and `exp`/`iat`/`nbf` with bounded skew and lifetime and `exp` after `iat`.
 * Audience and the claims specific to one kind of JWT are left to the caller. SEC-22: RFC 8725 §3's
 * rules in one place, so that each kind's explicit `typ` keeps it from passing another kind's verifier.
 */
export async function verifyJwtStrictly(token: string, options: VerifyJwtStrictlyOptions): Promise<VerifiedJwt> {
  const { reject, label } = options
  if (token.length > options.maxLength) throw reject(`the ${label} is longer than ${options.maxLength} characters`)
  const parts = token.split('.')
  if (parts.length === 5) throw reject(`the ${label} is encrypted (JWE); only signed JWTs are accepted`)
  if (parts.length !== 3 || parts.some((part) => part === '')) throw reject(`the ${label} is not a compact signed JWT`)
  // RFC 7515 §2, §7.1: each part is BASE64URL without padding, line breaks, whitespace or any other
  // character. Decoders skip what they do not know (a space inside the signature decoded to the same
  // bytes and verified), so two different strings would pass as one token.
  if (parts.some((part) => !BASE64URL.test(part)))
    throw reject(`the ${label} has a character outside the base64url alphabet`)

  let header: ProtectedHeaderParameters
  let unverified: JWTPayload
  try {
    header = decodeProtectedHeader(token)
    unverified = decodeJwt(token)
  } catch (cause) {
    throw reject(`the ${label} is not a well-formed JWT`, { cause })
  }
  // AS-33 (RFC 7519 §4, RFC 7515 §4): member names in the header and the claims set MUST be unique.
  // RFC 7519 lets a parser keep the last duplicate instead, but then what we verify and what the
  // IdP (or an intermediary with another parser) meant can differ, so any duplicate is refused.
  for (const [where, part] of [
    ['header', parts[0]],
    ['claims set', parts[1]],
  ] as const) {
    const duplicate = findDuplicateMemberName(new TextDecoder().decode(base64url.decode(part ?? '')))
    if (duplicate !== undefined) throw reject(`the ${label} ${where} repeats the member ${show(duplicate)}`)
  }
  // AS-31, RFC 7519 §7.2 step 8: `cty` announces a nested JWT. Only a single, unencrypted JWS is
  // accepted, so a declared nesting is refused rather than its outer payload read as claims.
  if (header.cty !== undefined)
    throw reject(`the ${label} declares content type ${show(header.cty)}; nested JWTs are not accepted`)

  const typAccepted =
    normaliseTyp(header.typ) === normaliseTyp(options.typ) ||
    (options.typMayBeAbsent === true && header.typ === undefined)
  if (!typAccepted) {
    throw reject(`the ${label} has typ ${show(header.typ)}; expected "${options.typ}"`)
  }
  // AS-14: a caller's list can narrow the asymmetric allow-list, never widen it (no `none`, no HMAC).
  const algorithms = (options.algorithms ?? ASYMMETRIC_ALGORITHMS).filter((alg) =>
    (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg),
  )
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
    throw reject(`the ${label} is signed with ${show(header.alg)}, which is not an allowed algorithm`)
  }
  for (const name of KEY_BEARING_HEADERS) {
    if (name in header)
      throw reject(`the ${label} carries a "${name}" header; keys come only from the issuer's published JWKS`)
  }
  if (typeof unverified.iss !== 'string' || unverified.iss === '') throw reject(`the ${label} has no "iss" claim`)
  const keys = options.issuerKeys(unverified.iss)
  if (keys === undefined) throw reject(`the ${label} issuer ${show(unverified.iss)} is not trusted`)

  // Decision 0070: the signature through node:crypto (`verifyJwsSignature`, jose's rules and errors),
  // then the claims set through jose: `UnsecuredJWT.decode` runs the same claims validation as
  // `jwtVerify` (a JSON object, `iss`, `exp`, `nbf`, `iat`, the clock tolerance) on the payload just verified.
  let claims: JWTPayload
  let key: VerificationKey
  try {
    key = await verifyJwsSignature(parts as [string, string, string], header, keys)
    ;({ payload: claims } = UnsecuredJWT.decode(`${UNSECURED_HEADER}.${parts[1]}.`, {
      currentDate: options.now,
      clockTolerance: options.clockSkewSeconds,
      issuer: unverified.iss,
    }))
  } catch (cause) {
    throw describeJoseFailure(cause, options)
  }

  if (typeof claims.exp !== 'number') throw reject(`the ${label} has no "exp" claim`)
  if (typeof claims.iat !== 'number') throw reject(`the ${label} has no "iat" claim`)
  // AS-21, AS-33: a token that expires no later than it was issued was never valid.
  if (claims.exp <= claims.iat)
    throw reject(`the ${label} expires (${iso(claims.exp)}) no later than it was issued (${iso(claims.iat)})`)
  const outside = outsideLifetime(
    { exp: claims.exp, iat: claims.iat, nbf: claims.nbf },
    options.now,
    options.clockSkewSeconds,
  )
  if (outside !== undefined) throw reject(`the ${label} ${outside}`)
  if (claims.exp - claims.iat > options.maxLifetimeSeconds) {
    throw reject(`the ${label} lives ${claims.exp - claims.iat} s; at most ${options.maxLifetimeSeconds} s is accepted`)
  }
  return { header, claims: claims as VerifiedJwt['claims'], key }
}

/**
 * The time-dependent checks of `verifyJwtStrictly`, at whole seconds with `clockSkewSeconds`: why
 * these claims are not valid at `now` (`exp` passed, `iat` or `nbf` in the future), or undefined when
 * they are. Every other check of a token depends only on its bytes and the verifier's options, so a
 * remembered token is checked again with this alone (decision 0100).
 */
export function outsideLifetime(
  claims: { exp: number; iat: number; nbf?: number | undefined },
  now: Date,
  clockSkewSeconds: number,
): string | undefined {
  const seconds = Math.floor(now.getTime() / 1000)
  if (claims.exp + clockSkewSeconds <= seconds) return `expired at ${iso(claims.exp)}`
  if (claims.iat > seconds + clockSkewSeconds) return `was issued in the future (iat ${iso(claims.iat)})`
  if (claims.nbf !== undefined && claims.nbf > seconds + clockSkewSeconds)
    return `is not valid before ${iso(claims.nbf)}`
  return undefined
}

/**
 * The first member name that appears twice in one JSON object of `text`, at any depth. `text` has
 * already been parsed successfully by jose, so this scanner only tracks strings, objects and arrays.
 * Names are compared after unescaping (`"sc\u006fpe"` is `"scope"`).
 */
function findDuplicateMemberName(text: string): string | undefined {
  const objects: Array<Set<string> | undefined> = [] // one entry per open object (a Set) or array (undefined)
  let expectingName = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') {
      let end = i + 1
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1
      const names = objects.at(-1)
      if (expectingName && names !== undefined) {
        const name = JSON.parse(text.slice(i, end + 1)) as string
        if (names.has(name)) return name
        names.add(name)
      }
      expectingName = false
      i = end
    } else if (c === '{') {
      objects.push(new Set())
      expectingName = true
    } else if (c === '[') {
      objects.push(undefined)
      expectingName = false
    } else if (c === '}' || c === ']') {
      objects.pop()
      expectingName = false
    } else if (c === ',') {
      expectingName = objects.at(-1) !== undefined
    } else if (c === ':') {
      expectingName = false
    }
  }
  return undefined
}

function describeJoseFailure(cause: unknown, options: VerifyJwtStrictlyOptions): OAuthError {
  const { reject, label } = options
  if (cause instanceof joseErrors.JWSSignatureVerificationFailed)
    return reject(`the ${label} signature does not verify with the issuer's keys`, { cause })
  if (cause instanceof joseErrors.JWKSNoMatchingKey)
    return reject(`no key of the ${label} issuer matches its "kid"`, { cause })
  if (cause instanceof joseErrors.JWKSMultipleMatchingKeys)
    return reject(`the ${label} "kid" matches several issuer keys`, { cause })
  if (cause instanceof joseErrors.JWTExpired) return reject(`the ${label} has expired`, { cause })
  if (cause instanceof joseErrors.JWTClaimValidationFailed && cause.claim === 'nbf')
    return reject(`the ${label} is not valid yet ("nbf" is in the future)`, { cause })
  if (cause instanceof joseErrors.JWTClaimValidationFailed && cause.claim === 'iat' && cause.reason === 'check_failed')
    return reject(`the ${label} was issued in the future`, { cause })
  if (cause instanceof joseErrors.JWTClaimValidationFailed)
    return reject(`the ${label} claim "${cause.claim}" is invalid: ${cause.reason}`, { cause })
  if (isKeySetOutage(cause)) {
    return new TemporarilyUnavailableError(
      `the keys of the ${label} issuer cannot be fetched right now; try again later`,
      { cause },
    )
  }
  return reject(`the ${label} could not be verified`, { cause })
}

/**
 * A value taken from an unverified token, made safe to repeat in an error description: quoted,
 * printable ASCII only, at most 64 characters. Descriptions end up in JSON bodies, logs and
 * `WWW-Authenticate` headers, so attacker-chosen bytes must never pass through raw.
 */
function show(value: unknown): string {
  if (value === undefined) return '(none)'
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  const printable = text.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, "'")
  return `"${printable.length > 64 ? printable.slice(0, 61) + '...' : printable}"`
}

function normaliseTyp(typ: unknown): string {
  return typeof typ === 'string' ? typ.toLowerCase().replace(/^application\//, '') : ''
}

/** A NumericDate for a description. One beyond what a Date can hold (±8.64e12 s) is shown as the number. */
function iso(seconds: number): string {
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime()) ? `${seconds} (beyond any date)` : date.toISOString()
}
