import { createPrivateKey, type KeyObject } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose'
import type { AsymmetricAlgorithm } from '../constants.ts'

/**
 * A private signing key, imported once at start-up, with its public JWK ready to publish.
 * `source` says where it came from so that start-up can warn loudly about demo keys.
 */
export interface SigningKey {
  readonly alg: AsymmetricAlgorithm
  readonly kid: string
  readonly privateKey: CryptoKey
  /** The same private key for node:crypto, which the token signers use (`signCompactJws`). */
  readonly keyObject: KeyObject
  /** The public half, with `kid`, `alg` and `use: "sig"`, ready for a JWKS. */
  readonly publicJwk: JWK
  /** The private JWK, for libraries (oidc-provider) that take keys as JWKs. Never log it. */
  readonly privateJwk: JWK
  readonly source: 'ephemeral' | 'configured'
}

/** Generates a fresh key pair. ES256 by default: it signs about four times cheaper than RS256. */
export async function generateSigningKey(alg: AsymmetricAlgorithm = 'ES256'): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  const privateJwk = await exportJWK(privateKey)
  return importSigningKey({ ...privateJwk, alg }, 'ephemeral')
}

/** Imports a private JWK (for example from configuration). The `kid` defaults to the RFC 7638 thumbprint. */
export async function importSigningKey(jwk: JWK, source: SigningKey['source'] = 'configured'): Promise<SigningKey> {
  if (typeof jwk.alg !== 'string') throw new TypeError('a signing JWK must name its "alg"')
  if (jwk.d === undefined) throw new TypeError('a signing JWK must be a private key')
  const alg = jwk.alg as AsymmetricAlgorithm
  const kid = jwk.kid ?? (await calculateJwkThumbprint(jwk))
  const privateKey = (await importJWK({ ...jwk, ext: true }, alg)) as CryptoKey
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...publicPart } = jwk
  const publicJwk: JWK = { ...publicPart, kid, alg, use: 'sig' }
  const keyObject = createPrivateKey({
    key: jwk as Parameters<typeof createPrivateKey>[0] extends { key: infer K } ? Extract<K, object> : never,
    format: 'jwk',
  })
  return { alg, kid, privateKey, keyObject, publicJwk, privateJwk: { ...jwk, kid, alg, use: 'sig' }, source }
}

/** The JWKS document (RFC 7517 §5) publishing the public halves of the given keys. */
export function publicJwks(keys: readonly SigningKey[]): { keys: JWK[] } {
  return { keys: keys.map((key) => key.publicJwk) }
}

/**
 * Imports a role's configured keys (see `parsePrivateJwks`): the first signs, all are published.
 * Refuses a `kid` used twice (RFC 7517 §4.5: it must tell the keys apart).
 */
export async function importSigningKeys(
  jwks: readonly JWK[],
  source: SigningKey['source'] = 'configured',
): Promise<SigningKey[]> {
  if (jwks.length === 0) throw new TypeError('no signing key is configured')
  const keys = await Promise.all(jwks.map((jwk) => importSigningKey(jwk, source)))
  const kids = new Set(keys.map((key) => key.kid))
  if (kids.size !== keys.length) throw new TypeError('two configured signing keys have the same kid')
  return keys
}
