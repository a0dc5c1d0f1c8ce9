/** Claims of an RFC 9068 JWT access token as this project issues them. Wire names are kept. */
export interface AccessTokenClaims {
  iss: string
  /** The user as the authorization server knows them (AS-40). */
  sub: string
  /** The one MCP server this token is for (AS-37). */
  aud: string | string[]
  client_id: string
  jti: string
  exp: number
  iat: number
  scope?: string
  /** Where the user came from: the IdP that issued the ID-JAG. */
  idp?: string
  act?: { sub: string; act?: unknown }
  [claim: string]: unknown
}
