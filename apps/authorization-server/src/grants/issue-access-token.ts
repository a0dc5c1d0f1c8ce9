import { formatScope, signAccessToken, TOKEN_RESPONSE_TYPE, type SigningKey } from '@ema/tokens'
import type { McpServer } from '../config.ts'
import type { AuthenticatedClient } from './require-confidential-client.ts'
import type { LocalSubject } from './resolve-local-subject.ts'

export interface IssueAccessTokenOptions {
  issuer: string
  /** The user as resolved by resolveLocalSubject (AS-19). */
  subject: LocalSubject
  client: AuthenticatedClient
  server: McpServer
  scope: readonly string[]
  lifetimeSeconds: number
  now: Date
  key: SigningKey
  /** The access token's `jti` (recorded in the audit event beside the ID-JAG's); default a fresh one. */
  jti?: string
}

/** RFC 6749 §5.1 as profiled by AS-35 and AS-36. No `refresh_token` (AS-38). */
export interface JwtBearerTokenResponse {
  access_token: string
  token_type: typeof TOKEN_RESPONSE_TYPE.BEARER
  expires_in: number
  scope: string
  resource: string
}

/**
 * AS-35 … AS-40: signs an RFC 9068 access token restricted to the one MCP server (AS-37), short-lived
 * (AS-39), whose `sub` is our own identifier for the user, `<subject_namespace>|<IdP sub>` (AS-19,
 * AS-40), with the IdP's issuer in `idp` and the IdP's own `sub` in `idp_sub` for display.
 */
export async function issueAccessToken(options: IssueAccessTokenOptions): Promise<JwtBearerTokenResponse> {
  const scope = formatScope(options.scope)
  const accessToken = await signAccessToken({
    issuer: options.issuer,
    subject: options.subject.sub, // AS-40: our identifier, not the IdP's
    audience: options.server.resource, // AS-37
    clientId: options.client.clientId,
    scope,
    expiresInSeconds: options.lifetimeSeconds, // AS-39
    now: options.now,
    key: options.key,
    extraClaims: { idp: options.subject.idp, idp_sub: options.subject.idp_sub },
    ...(options.jti === undefined ? {} : { jti: options.jti }),
  })
  // AS-36: the granted scope and resource are returned; AS-38: no refresh_token.
  return {
    access_token: accessToken,
    token_type: TOKEN_RESPONSE_TYPE.BEARER,
    expires_in: options.lifetimeSeconds,
    scope,
    resource: options.server.resource,
  }
}
