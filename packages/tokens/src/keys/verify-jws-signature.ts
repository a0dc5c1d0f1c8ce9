import { KeyObject, verify, type webcrypto } from 'node:crypto'
import { errors as joseErrors, type CryptoKey, type JWTVerifyGetKey, type ProtectedHeaderParameters } from 'jose'
import { jwsSignatureParameters } from './jws-signature-parameters.ts'

/** What a verification key must be for each algorithm: jose's own requirements (its `jws_algorithms` table). */
const REQUIRED_KEY: Record<string, { name: string; namedCurve?: string; hash?: string; minRsaBits?: number }> = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  ES384: { name: 'ECDSA', namedCurve: 'P-384' },
  ES512: { name: 'ECDSA', namedCurve: 'P-521' },
  PS256: { name: 'RSA-PSS', hash: 'SHA-256', minRsaBits: 2048 },
  PS384: { name: 'RSA-PSS', hash: 'SHA-384', minRsaBits: 2048 },
  PS512: { name: 'RSA-PSS', hash: 'SHA-512', minRsaBits: 2048 },
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', minRsaBits: 2048 },
  RS384: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384', minRsaBits: 2048 },
  RS512: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512', minRsaBits: 2048 },
  EdDSA: { name: 'Ed25519' },
  Ed25519: { name: 'Ed25519' },
}

/** node:crypto's curve names for the NIST curves of a KeyObject. */
const NIST_CURVE: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }

/** The KeyObject of each CryptoKey a key set handed out, made once per key (key sets keep their keys). */
const keyObjects = new WeakMap<CryptoKey, KeyObject>()

/**
 * Verifies the signature of a compact JWS (RFC 7515 §5.2) with node:crypto, as jose's `jwtVerify` does
 * it through WebCrypto and with the same rules, in the same order: the `crit` header (RFC 7515
 * §4.1.11: only `b64` is understood, and it must be present and a boolean), the key from `keys` (jose's
 * JWK Set selection by `kid`, `kty`, `alg`, `use`, with its errors), the key fitting the algorithm (type,
 * curve or hash, RSA at least 2048 bits, usable to verify), the signature, and last an unencoded
 * payload (`b64: false`), which no JWT may use (RFC 7797 §7). Throws jose's error classes, so the
 * caller tells the failures apart as it did with jose. A synchronous node:crypto verification costs
 * less CPU than jose's WebCrypto path and no hand-off to libuv's thread pool (decision 0070).
 *
 * Does NOT check `alg` against an allow-list, nor decode the payload or check any claim: the caller
 * (`verifyJwtStrictly`) does, before and after.
 *
 * @param parts the three base64url segments of the compact JWS, already checked for their alphabet.
 * @returns the key `keys` resolved and the signature verified with, as `keys` gave it.
 */
export async function verifyJwsSignature(
  parts: readonly [string, string, string],
  header: ProtectedHeaderParameters,
  keys: JWTVerifyGetKey,
): Promise<VerificationKey> {
  const alg = header.alg
  const required = typeof alg === 'string' ? REQUIRED_KEY[alg] : undefined
  if (alg === undefined || required === undefined)
    throw new joseErrors.JOSENotSupported(`alg ${String(alg)} is not supported`)
  const b64 = criticalB64(header)

  // `alg` is known to be a string here; jose's key sets select by it and by `kid`.
  const selector = header as Parameters<JWTVerifyGetKey>[0]
  const resolved: unknown = await keys(selector, { payload: parts[1], signature: parts[2], protected: parts[0] })
  const key = keyObjectFor(resolved, alg, required)

  const { hash, options } = jwsSignatureParameters(alg, key)
  let verified: boolean
  try {
    verified = verify(hash, Buffer.from(`${parts[0]}.${parts[1]}`), options, Buffer.from(parts[2], 'base64url'))
  } catch (cause) {
    // A signature node:crypto cannot even read (a wrong length for the curve): not a valid one, as with WebCrypto.
    throw new joseErrors.JWSSignatureVerificationFailed(undefined, { cause })
  }
  if (!verified) throw new joseErrors.JWSSignatureVerificationFailed()
  if (!b64) throw new joseErrors.JWTInvalid('JWTs MUST NOT use unencoded payload')
  return resolved as VerificationKey
}

/** A key a key set resolves for a JWS header: a WebCrypto key (jose's JWK Sets) or a public KeyObject. */
export type VerificationKey = CryptoKey | KeyObject

/** RFC 7515 §4.1.11 with `b64` (RFC 7797) the one extension understood, as jose checks `crit`; returns `b64`. */
function criticalB64(header: ProtectedHeaderParameters): boolean {
  const crit: unknown = header.crit
  if (crit === undefined) return true
  if (
    !Array.isArray(crit) ||
    crit.length === 0 ||
    crit.some((name: unknown) => typeof name !== 'string' || name.length === 0)
  )
    throw new joseErrors.JWSInvalid(
      '"crit" (Critical) Header Parameter MUST be an array of non-empty strings when present',
    )
  for (const name of crit as string[]) {
    if (name !== 'b64') throw new joseErrors.JOSENotSupported(`Extension Header Parameter "${name}" is not recognized`)
    if (!Object.hasOwn(header, name) || header[name] === undefined)
      throw new joseErrors.JWSInvalid(`Extension Header Parameter "${name}" is missing`)
  }
  if (typeof header.b64 !== 'boolean')
    throw new joseErrors.JWSInvalid('The "b64" (base64url-encode payload) Header Parameter must be a boolean')
  return header.b64
}

/** The resolved key as a public KeyObject, if it fits the algorithm as jose requires; a TypeError otherwise. */
function keyObjectFor(resolved: unknown, alg: string, required: (typeof REQUIRED_KEY)[string]): KeyObject {
  if (resolved instanceof KeyObject) {
    if (resolved.type !== 'public' || !keyObjectFits(resolved, required))
      throw new TypeError(`the key does not fit ${alg}`)
    return resolved
  }
  if (!isCryptoKey(resolved)) throw new TypeError(`the key for ${alg} must be a CryptoKey or a KeyObject`)
  const algorithm = resolved.algorithm as {
    name: string
    namedCurve?: string
    hash?: { name: string }
    modulusLength?: number
  }
  const fits =
    resolved.type === 'public' &&
    resolved.usages.includes('verify') &&
    algorithm.name === required.name &&
    (required.namedCurve === undefined || algorithm.namedCurve === required.namedCurve) &&
    (required.hash === undefined || algorithm.hash?.name === required.hash) &&
    (required.minRsaBits === undefined || (algorithm.modulusLength ?? 0) >= required.minRsaBits)
  if (!fits) throw new TypeError(`the key does not fit ${alg}`)
  let keyObject = keyObjects.get(resolved)
  if (keyObject === undefined) {
    keyObject = KeyObject.from(resolved as webcrypto.CryptoKey)
    keyObjects.set(resolved, keyObject)
  }
  return keyObject
}

/** A WebCrypto key, told apart as jose does (by its tag: there is no CryptoKey global in every runtime's types). */
function isCryptoKey(value: unknown): value is CryptoKey {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'CryptoKey'
  )
}

function keyObjectFits(key: KeyObject, required: (typeof REQUIRED_KEY)[string]): boolean {
  const details = key.asymmetricKeyDetails ?? {}
  switch (required.name) {
    case 'ECDSA':
      return key.asymmetricKeyType === 'ec' && NIST_CURVE[details.namedCurve ?? ''] === required.namedCurve
    case 'Ed25519':
      return key.asymmetricKeyType === 'ed25519'
    case 'RSA-PSS':
    case 'RSASSA-PKCS1-v1_5':
      return (
        (key.asymmetricKeyType === 'rsa' || (required.name === 'RSA-PSS' && key.asymmetricKeyType === 'rsa-pss')) &&
        (details.modulusLength ?? 0) >= (required.minRsaBits ?? 0)
      )
    default:
      return false
  }
}
