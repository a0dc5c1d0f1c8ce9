import { signCompactJws } from '../keys/sign-compact-jws.ts'
import { JWT_TYP } from '../constants.ts'
import type { SigningKey } from '../keys/signing-key.ts'

export interface SignAccessTokenOptions {
  issuer: string
  subject: string
  /** The resource this token is restricted to (AS-37, RFC 9068 §3). */
  audience: string
  clientId: string
  scope: string
  expiresInSeconds: number
  now: Date
  key: SigningKey
  /** Further claims, e.g. `idp`, `auth_time`, `act`. Registered claims above win. */
  extraClaims?: Record<string, unknown>
  /** The token's `jti`, when the caller records it (an audit event); default a fresh random UUID. */
  jti?: string
}

/** Signs an RFC 9068 JWT access token: `typ: at+jwt`, `iss`, `sub`, `aud`, `client_id`, `jti`, `iat`, `exp`, `scope`. */
export async function signAccessToken(options: SignAccessTokenOptions): Promise<string> {
  const iat = Math.floor(options.now.getTime() / 1000)
  const claims = {
    ...options.extraClaims,
    client_id: options.clientId,
    scope: options.scope,
    iss: options.issuer,
    sub: options.subject,
    aud: options.audience,
    jti: options.jti ?? crypto.randomUUID(),
    iat,
    exp: iat + options.expiresInSeconds,
  }
  return signCompactJws({ alg: options.key.alg, kid: options.key.kid, typ: JWT_TYP.ACCESS_TOKEN }, claims, options.key)
}
