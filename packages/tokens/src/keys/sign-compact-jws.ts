import { constants, sign, type SignKeyObjectInput } from 'node:crypto'
import type { SigningKey } from './signing-key.ts'

/** node:crypto's parameters for each JWS algorithm we sign with (RFC 7518 §3.3 to §3.5, RFC 8037 §3.1). */
function signatureParameters(key: SigningKey): { hash: string | null; options: SignKeyObjectInput } {
  const bits = key.alg.slice(2)
  switch (key.alg.slice(0, 2)) {
    case 'ES':
      return { hash: `sha${bits}`, options: { key: key.keyObject, dsaEncoding: 'ieee-p1363' } } // R || S, RFC 7518 §3.4
    case 'PS':
      return {
        hash: `sha${bits}`,
        options: { key: key.keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 },
      }
    case 'RS':
      return { hash: `sha${bits}`, options: { key: key.keyObject } }
    default:
      return { hash: null, options: { key: key.keyObject } } // EdDSA / Ed25519: the curve fixes the hash
  }
}

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
  const { hash, options } = signatureParameters(key)
  return `${input}.${sign(hash, Buffer.from(input), options).toString('base64url')}`
}
