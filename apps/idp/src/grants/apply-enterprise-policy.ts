import { AccessDeniedError, InvalidScopeError, formatScope, intersectScopes, parseScope } from '@ema/tokens'
import type { DirectoryUser, GroupPolicy, McpServer } from '../config.ts'

export interface ApplyEnterprisePolicyOptions {
  organizationName: string
  user: DirectoryUser
  mcpServer: McpServer
  /** The request's `scope`, if any (IDP-16). */
  requestedScope: string | undefined
  policy: readonly GroupPolicy[]
}

/**
 * The administrator's decision (IDP-13, IDP-16, IDP-17): the granted scopes are the requested ones
 * (all the MCP server defines when none are requested) ∩ what the user's groups allow for this MCP
 * server ∩ what the MCP server defines. Requested scopes outside that are narrowed away (IDP-16 MAY).
 *
 * @returns the granted scopes, never empty.
 * @throws {InvalidScopeError} when every requested scope is unknown to the MCP server (RFC 6749 §5.2).
 * @throws {AccessDeniedError} when nothing may be granted (IDP-55).
 */
export function applyEnterprisePolicy(options: ApplyEnterprisePolicyOptions): string[] {
  const { user, mcpServer } = options
  const requested = options.requestedScope === undefined ? [] : parseScope(options.requestedScope)
  const allowedByGroups = options.policy
    .filter((rule) => rule.resource === mcpServer.resource && user.groups.includes(rule.group))
    .flatMap((rule) => rule.scopes)

  // IDP-17: the intersection of the user's role, the request and what the MCP server defines.
  const granted = intersectScopes(
    requested.length > 0 ? requested : mcpServer.scopes,
    allowedByGroups,
    mcpServer.scopes,
  )
  if (granted.length > 0) return granted

  // RFC 6749 §5.2: scopes the MCP server does not define are a malformed request, not a policy refusal.
  if (requested.length > 0 && intersectScopes(requested, mcpServer.scopes).length === 0) {
    throw new InvalidScopeError(
      `${mcpServer.resource} defines none of the requested scopes "${formatScope(requested)}"; it defines "${formatScope(mcpServer.scopes)}"`,
    )
  }

  if (allowedByGroups.length === 0) {
    throw new AccessDeniedError(
      `${options.organizationName} policy does not allow ${user.username} to use ${mcpServer.resource}`,
    )
  }
  throw new AccessDeniedError(
    `${options.organizationName} policy does not allow ${user.username} the scope "${formatScope(requested)}" at ${mcpServer.resource}`,
  )
}
