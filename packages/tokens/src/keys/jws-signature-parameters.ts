import { constants, type KeyObject, type SignKeyObjectInput, type VerifyKeyObjectInput } from 'node:crypto'

/**
 * node:crypto's parameters for a JWS algorithm (RFC 7518 §3.3 to §3.5, RFC 8037 §3.1), for signing
 * with a private KeyObject (`signCompactJws`) and verifying with a public one (`verifyJwsSignature`):
 * the hash, and for ECDSA the R || S encoding of RFC 7518 §3.4, for RSASSA-PSS the salt length of §3.5.
 */
export function jwsSignatureParameters(
  alg: string,
  key: KeyObject,
): { hash: string | null; options: SignKeyObjectInput & VerifyKeyObjectInput } {
  const bits = alg.slice(2)
  switch (alg.slice(0, 2)) {
    case 'ES':
      return { hash: `sha${bits}`, options: { key, dsaEncoding: 'ieee-p1363' } }
    case 'PS':
      return {
        hash: `sha${bits}`,
        options: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 },
      }
    case 'RS':
      return { hash: `sha${bits}`, options: { key } }
    default:
      return { hash: null, options: { key } } // EdDSA / Ed25519: the curve fixes the hash
  }
}
