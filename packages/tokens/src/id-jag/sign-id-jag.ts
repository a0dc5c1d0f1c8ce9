import { signCompactJws } from '../keys/sign-compact-jws.ts'
import { JWT_TYP } from '../constants.ts'
import type { SigningKey } from '../keys/signing-key.ts'

export interface SignIdJagOptions {
  /** The IdP's issuer (IDP-39). */
  issuer: string
  /** The MCP authorization server's issuer (IDP-41). */
  audience: string
  /** The subject (IDP-40). */
  subject: string
  /** The client's identifier at the MCP authorization server (IDP-21). */
  clientId: string
  /** The MCP server's resource identifier (IDP-44). */
  resource?: string
  /** Granted scopes, space-separated (IDP-19). Omitted when empty. */
  scope?: string
  /** Lifetime in seconds (IDP-48). Default 300. */
  expiresInSeconds?: number
  /** Unique id (IDP-43). Default: a random UUID. */
  jti?: string
  now: Date
  key: SigningKey
  /** Extra claims valid in an ID token (IDP-50), for example `auth_time`, `acr`, `amr`. */
  extraClaims?: Record<string, unknown>
}

/**
 * Signs an ID-JAG as the IdP: `typ: oauth-id-jag+jwt` (IDP-37), signed with an IdP key published at
 * its `jwks_uri` (IDP-38), carrying `iss`, `sub`, `aud`, `client_id`, `jti`, `exp`, `iat` (IDP-39 … IDP-43).
 *
 * Does NOT decide whether the ID-JAG should be issued; the IdP's policy does that first.
 */
export async function signIdJag(options: SignIdJagOptions): Promise<string> {
  const iat = Math.floor(options.now.getTime() / 1000)
  const claims: Record<string, unknown> = { ...options.extraClaims, client_id: options.clientId }
  if (options.resource !== undefined) claims.resource = options.resource
  if (options.scope !== undefined && options.scope !== '') claims.scope = options.scope
  claims.iss = options.issuer
  claims.sub = options.subject
  claims.aud = options.audience // a single string, never an array (IDP-41)
  claims.jti = options.jti ?? crypto.randomUUID()
  claims.iat = iat
  claims.exp = iat + (options.expiresInSeconds ?? 300)
  return signCompactJws({ alg: options.key.alg, kid: options.key.kid, typ: JWT_TYP.ID_JAG }, claims, options.key)
}
