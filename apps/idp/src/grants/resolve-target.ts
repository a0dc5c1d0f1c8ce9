import { InvalidTargetError } from '@ema/tokens'
import type { AuthorizationServer, McpServer } from '../config.ts'

export interface Target {
  /** The MCP authorization server the ID-JAG is for; its issuer becomes `aud` (IDP-03, IDP-41). */
  authorizationServer: AuthorizationServer
  /** The MCP server the ID-JAG is for; its identifier becomes `resource` (IDP-44). */
  mcpServer: McpServer
}

/**
 * Resolves `audience` and `resource` to one known (audience, resource) pair (IDP-03, IDP-14, IDP-15).
 * Without `resource`, an audience that governs exactly one MCP server means that server.
 *
 * @throws {InvalidTargetError} for an unknown audience, or a resource that audience does not govern (IDP-54).
 */
export function resolveTarget(
  request: { audience: string; resource?: string | undefined },
  authorizationServers: readonly AuthorizationServer[],
): Target {
  // IDP-03: the audience is the authorization server's issuer identifier, compared exactly.
  const authorizationServer = authorizationServers.find((as) => as.issuer === request.audience)
  if (authorizationServer === undefined) {
    throw new InvalidTargetError(`"${request.audience}" is not an authorization server this IdP issues ID-JAGs for`)
  }

  if (request.resource === undefined) {
    // IDP-15: no resource requested; only an unambiguous default is used.
    const [only, ...more] = authorizationServer.resources
    if (only === undefined || more.length > 0) {
      throw new InvalidTargetError(
        `${authorizationServer.issuer} governs several MCP servers; name one with "resource"`,
      )
    }
    return { authorizationServer, mcpServer: only }
  }

  // IDP-14, SEC-10: reject the request when the audience is not the authorization server for that resource.
  const mcpServer = authorizationServer.resources.find((server) => server.resource === request.resource)
  if (mcpServer === undefined) {
    throw new InvalidTargetError(`${authorizationServer.issuer} does not govern the resource "${request.resource}"`)
  }
  return { authorizationServer, mcpServer }
}
