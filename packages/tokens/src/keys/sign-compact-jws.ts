import { sign } from 'node:crypto'
import { jwsSignatureParameters } from './jws-signature-parameters.ts'
import type { SigningKey } from './signing-key.ts'

/**
 * Signs a JWS in compact serialization (RFC 7515 §7.1) with the key's node:crypto KeyObject, made once
 * at import: signing through node:crypto directly costs a fraction of a WebCrypto round trip, and the
 * token endpoints sign once per request. The header and payload are serialized as given, so callers
 * keep their member order; jose verifies the result in the tests like any other token.
 *
 * Does NOT check the claims: the sign-* functions of this library build them.
 */
export function signCompactJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: SigningKey,
): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
  const { hash, options } = jwsSignatureParameters(key.alg, key.keyObject)
  return `${input}.${sign(hash, Buffer.from(input), options).toString('base64url')}`
}
