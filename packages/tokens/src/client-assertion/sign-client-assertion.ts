import { signCompactJws } from '../keys/sign-compact-jws.ts'
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
  const claims = {
    iss: options.clientId,
    sub: options.clientId,
    aud: options.audience,
    jti: crypto.randomUUID(),
    iat,
    exp: iat + (options.expiresInSeconds ?? 60),
  }
  return signCompactJws({ alg: options.key.alg, kid: options.key.kid }, claims, options.key)
}
