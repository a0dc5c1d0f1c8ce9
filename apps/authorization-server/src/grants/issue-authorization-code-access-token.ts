import type { Middleware } from 'koa'
import type { KoaContextWithOIDC } from 'oidc-provider'
import { InvalidGrantError, parseScope, type SigningKey } from '@ema/tokens'
import { oauthErrorResponse, type Logger } from '@ema/server-kit'
import type { McpServer, TrustedIdp } from '../config.ts'
import { findMcpServer } from '../authorization/mcp-server-resource-indicators.ts'
import { issueAccessToken } from './issue-access-token.ts'
import { findLocalSubject } from './resolve-local-subject.ts'

export interface IssueAuthorizationCodeAccessTokenDeps {
  issuer: string
  trustedIdps: readonly TrustedIdp[]
  mcpServers: readonly McpServer[]
  signingKey: SigningKey
  accessTokenLifetimeSeconds: number
  now: () => Date
  log: Logger
}

/**
 * One access-token format (decision 0050): oidc-provider runs the authorization_code grant (the
 * code's single use, its client, `redirect_uri`, PKCE S256, the granted resource and scopes), and this
 * middleware then replaces the access token it minted with ours, signed by the same
 * `issueAccessToken` as the jwt-bearer grant's: RFC 9068 `at+jwt`, `aud` = the MCP server (AS-37),
 * `sub` = the local subject `<subject_namespace>|<IdP sub>` (AS-19, AS-40), `client_id`, `scope`,
 * short-lived (AS-39). The MCP server therefore accepts it exactly like a jwt-bearer one. oidc-provider's
 * own (opaque, never sent) token is destroyed. The response is the jwt-bearer grant's shape, `resource`
 * included (AS-36); no refresh token is issued (no `offline_access`, decision 0050).
 *
 * If anything needed for our token is missing (a token without an MCP server audience, an account
 * whose IdP is no longer trusted), the response becomes a 400 `invalid_grant`, never oidc-provider's token.
 * Install with `provider.use`.
 */
export function issueAuthorizationCodeAccessToken(
  deps: IssueAuthorizationCodeAccessTokenDeps,
): Middleware<object, KoaContextWithOIDC> {
  return async function issueAuthorizationCodeAccessTokenMiddleware(ctx, next) {
    await next()
    const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined
    if (oidc?.route !== 'token' || oidc.params?.grant_type !== 'authorization_code' || ctx.status !== 200) return
    const minted = oidc.entities.AccessToken
    const client = oidc.client
    const body = ctx.body as Record<string, unknown> | undefined
    if (minted === undefined || client === undefined || typeof body?.access_token !== 'string') return
    await minted.destroy()
    const log = deps.log.child({ grant: 'authorization_code', client_id: client.clientId })
    const audience = Array.isArray(minted.aud) ? minted.aud[0] : minted.aud
    const server = findMcpServer(deps.mcpServers, typeof audience === 'string' ? audience : undefined)
    const subject = minted.accountId === undefined ? undefined : findLocalSubject(minted.accountId, deps.trustedIdps)
    if (server === undefined || subject === undefined) {
      const refusal = new InvalidGrantError(
        'the authorization code no longer resolves to a registered MCP server and a trusted IdP user; start a new authorization request',
      )
      log.warn('the authorization code does not resolve to an MCP server and a known user', {
        resource: audience,
        local_sub: minted.accountId,
      })
      const { status, headers, body: errorBody } = oauthErrorResponse(refusal, { log })
      ctx.status = status
      ctx.set(headers)
      ctx.body = errorBody
      return
    }
    const response = await issueAccessToken({
      issuer: deps.issuer,
      subject,
      client: { clientId: client.clientId, authMethod: client.clientAuthMethod ?? 'none' },
      server,
      scope: parseScope(minted.scope ?? ''),
      lifetimeSeconds: deps.accessTokenLifetimeSeconds,
      now: deps.now(),
      key: deps.signingKey,
    })
    ctx.body = response // oidc-provider has set Cache-Control: no-store and Pragma: no-cache (AS-35)
    log.info('issued an access token', {
      local_sub: subject.sub,
      resource: response.resource,
      scope: response.scope,
      expires_in: response.expires_in,
    })
  }
}
