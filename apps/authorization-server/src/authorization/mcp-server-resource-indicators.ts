import { errors, type Configuration } from 'oidc-provider'
import type { McpServer } from '../config.ts'

type ResourceIndicatorsFeature = NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>

/**
 * RFC 8707 for the authorization code flow (decision 0050), as oidc-provider's `resourceIndicators`
 * feature: the MCP servers registered here are the only resources, so a token from this flow is
 * audience-restricted to one MCP server (AS-37) and carries only scopes that server defines (AS-26).
 *
 * - `resource` names a registered MCP server, or the request is refused with `invalid_target`
 *   (RFC 8707 §2); downstream APIs are reachable only by the on-behalf-of exchange (OBO-01).
 * - `resource` absent: the only MCP server, when there is exactly one (AS-25's default); with several,
 *   the client must name one (`invalid_target`).
 * - At the token endpoint the resource granted at the authorization endpoint is used when the client
 *   omits `resource` (`useGrantedResource`).
 *
 * The access token oidc-provider would mint here is replaced by ours (issueAuthorizationCodeAccessToken),
 * so `accessTokenFormat` is oidc-provider's opaque placeholder; the lifetime is the one of every access token (AS-39).
 */
export function mcpServerResourceIndicators(
  mcpServers: readonly McpServer[],
  accessTokenLifetimeSeconds: number,
): ResourceIndicatorsFeature {
  return {
    enabled: true,
    defaultResource(_ctx, _client, oneOf) {
      if (oneOf !== undefined) return oneOf.length === 1 ? oneOf[0] : undefined
      return mcpServers.length === 1 ? mcpServers[0]?.resource : undefined
    },
    getResourceServerInfo(_ctx, resourceIndicator) {
      const server = findMcpServer(mcpServers, resourceIndicator)
      if (server === undefined) {
        throw new errors.InvalidTarget(
          `${resourceIndicator} is not an MCP server of this authorization server; use the resource of its protected resource metadata (RFC 9728)`,
        )
      }
      return {
        scope: server.scopes.join(' '),
        audience: server.resource, // AS-37
        accessTokenTTL: accessTokenLifetimeSeconds, // AS-39
        accessTokenFormat: 'opaque',
      }
    },
    useGrantedResource: () => true,
  }
}

/** The registered MCP server whose resource identifier is exactly `resource` (RFC 8707 §2: compared as strings). */
export function findMcpServer(mcpServers: readonly McpServer[], resource: string | undefined): McpServer | undefined {
  return mcpServers.find((server) => server.resource === resource)
}
