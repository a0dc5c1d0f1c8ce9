import { InvalidGrantError, InvalidTargetError, type IdJagClaims } from '@ema/tokens'
import type { McpServer } from '../config.ts'

/**
 * AS-24, AS-25, AS-32: the MCP server this ID-JAG is for.
 *
 * - The ID-JAG `resource` claim (a string, or an array with exactly one element) MUST be one of
 *   the MCP servers registered here; otherwise `invalid_grant` (AS-24). `aud` was already checked to
 *   be this server (AS-17), so `aud` and `resource` are checked as a bound pair.
 * - No `resource` claim (ambiguity 1): accepted only when exactly one MCP server is registered,
 *   which is then the resource; with several, the claim is required and its absence is
 *   `invalid_grant` (AS-25, branch rule "MAY require").
 * - The `resource` request parameter (ambiguity 6): MCP core makes clients send `resource` in every
 *   token request, while EMA and JAG define only `assertion`. The ID-JAG claim decides; a parameter,
 *   when sent, must name the same resource, otherwise `invalid_target` (RFC 8707 §2), so a client
 *   can never widen or redirect what the IdP granted.
 */
export function requireRegisteredResource(
  idJag: IdJagClaims,
  requestedResource: string | undefined,
  servers: readonly McpServer[],
): McpServer {
  const server = resolveServer(idJag.resource, servers)
  if (requestedResource !== undefined && requestedResource !== server.resource) {
    // Ambiguity 6: the request's resource parameter must match the ID-JAG's resource.
    throw new InvalidTargetError('the "resource" parameter does not match the resource the ID-JAG was issued for')
  }
  return server
}

function resolveServer(claim: unknown, servers: readonly McpServer[]): McpServer {
  if (claim === undefined) {
    // AS-25: absent → default only when this server governs a single MCP server.
    const [only, ...others] = servers
    if (only !== undefined && others.length === 0) return only
    throw new InvalidGrantError('the ID-JAG has no "resource" claim, which this authorization server requires')
  }
  const values = Array.isArray(claim) ? claim : [claim]
  if (values.length !== 1 || typeof values[0] !== 'string') {
    throw new InvalidGrantError('the ID-JAG "resource" claim must name exactly one MCP server')
  }
  const resource = values[0]
  // AS-24: resource MUST be one of our registered MCP servers (exact string match).
  const server = servers.find((candidate) => candidate.resource === resource)
  if (server === undefined) {
    throw new InvalidGrantError(`the ID-JAG resource "${resource}" is not an MCP server of this authorization server`)
  }
  return server
}
