import type { webcrypto } from 'node:crypto'

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')

/**
 * Signs a header and a payload given as raw JSON text, so that what JSON.stringify would never
 * write (duplicate members, escaped names, non-objects) survives into a validly signed compact JWS.
 * ECDSA keys only (ES256, ES384, ES512), as every key in these tests is.
 */
export async function signRaw(
  headerText: string,
  payloadText: string,
  key: { alg: string; privateKey: webcrypto.CryptoKey },
): Promise<string> {
  const input = `${b64(headerText)}.${b64(payloadText)}`
  const hash = { ES256: 'SHA-256', ES384: 'SHA-384', ES512: 'SHA-512' }[key.alg]
  if (hash === undefined) throw new TypeError(`signRaw signs with ECDSA keys only, not ${key.alg}`)
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash }, key.privateKey, new TextEncoder().encode(input))
  return `${input}.${b64(new Uint8Array(signature))}`
}
