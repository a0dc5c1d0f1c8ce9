import type { Middleware } from 'koa'
import type { KoaContextWithOIDC } from 'oidc-provider'
import type { McpServer } from '../config.ts'
import { findMcpServer } from './mcp-server-resource-indicators.ts'

/**
 * RFC 6749 §3.3: a client may omit `scope`; the server then MUST use a pre-defined default or fail
 * with `invalid_scope`. oidc-provider 9 does neither (it ends the request with `access_denied`, "no
 * scope was granted"), so a GET authorization request without `scope` (or with an empty one) is
 * processed here with the default: every scope of the MCP server it names (`resource`, or the only
 * registered one), which is what an MCP client takes from `scopes_supported` (CL-22). The user still
 * sees and approves each scope on the consent screen. A request naming an unknown resource, or none
 * among several, is left alone: oidc-provider refuses it with `invalid_target`. Requests carrying a
 * request object or a PAR `request_uri` are left alone too.
 *
 * Install with `provider.use`; `authorizationPath` is `provider.pathFor('authorization')`.
 */
export function defaultScope(
  authorizationPath: string,
  mcpServers: readonly McpServer[],
): Middleware<object, KoaContextWithOIDC> {
  return async function defaultScopeMiddleware(ctx, next) {
    if (ctx.method === 'GET' && ctx.path === authorizationPath) {
      const params = new URLSearchParams(ctx.querystring)
      const unnamed = (params.get('scope') ?? '').trim() === ''
      const resources = params.getAll('resource')
      const server =
        resources.length === 0
          ? mcpServers.length === 1
            ? mcpServers[0]
            : undefined
          : resources.length === 1
            ? findMcpServer(mcpServers, resources[0])
            : undefined
      if (unnamed && server !== undefined && !params.has('request') && !params.has('request_uri')) {
        params.set('scope', server.scopes.join(' '))
        ctx.querystring = params.toString()
      }
    }
    await next()
  }
}
