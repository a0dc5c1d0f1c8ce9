/**
 * The claims of an Identity Assertion JWT Authorization Grant (JAG §3.1; IDP-39 … IDP-45).
 * Wire names are kept.
 */
export interface IdJagClaims {
  /** The IdP's issuer identifier (IDP-39). */
  iss: string
  /** The user, unique within `iss` (IDP-40, IDP-23). */
  sub: string
  /** The MCP authorization server's issuer identifier (IDP-41). */
  aud: string
  /** The client's identifier **at the MCP authorization server** (IDP-21, IDP-42). */
  client_id: string
  jti: string
  exp: number
  iat: number
  /** The MCP server's resource identifier (IDP-44). */
  resource?: string
  /** Space-separated scopes granted by the IdP's policy (IDP-19, IDP-45). */
  scope?: string
  auth_time?: number
  acr?: string
  amr?: string[]
  [claim: string]: unknown
}
