import { SignJWT } from 'jose'
import type { SigningKey } from '../keys/signing-key.ts'

export interface SignClientAssertionOptions {
  clientId: string
  /** The authorization server's issuer identifier or token endpoint (RFC 7523 §3 item 3). */
  audience: string
  now: Date
  key: SigningKey
  /** Default 60 seconds. */
  expiresInSeconds?: number
}

/**
 * Signs a `private_key_jwt` client assertion (RFC 7523 §2.2, §3; OIDC Core §9): `iss` = `sub` =
 * the client id, a single `aud`, a fresh `jti` and a short `exp`.
 */
export async function signClientAssertion(options: SignClientAssertionOptions): Promise<string> {
  const iat = Math.floor(options.now.getTime() / 1000)
  return new SignJWT({})
    .setProtectedHeader({ alg: options.key.alg, kid: options.key.kid })
    .setIssuer(options.clientId)
    .setSubject(options.clientId)
    .setAudience(options.audience)
    .setJti(crypto.randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.expiresInSeconds ?? 60))
    .sign(options.key.privateKey)
}
