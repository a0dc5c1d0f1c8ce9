import { AccessDeniedError, InsufficientUserAuthenticationError, InvalidScopeError, formatScope } from '@ema/tokens'
import type { DirectoryUser, McpServer } from '../config.ts'
import type { PolicyDecision } from '../policy/decide-policy.ts'

/**
 * RFC 6749 §5.2: the requested scopes the MCP server defines. Scopes it does not define are
 * narrowed away (IDP-16 MAY); when none is left the request is malformed, not a policy refusal.
 *
 * @throws {InvalidScopeError} when every requested scope is unknown to the MCP server.
 */
export function requireDefinedScopes(requested: readonly string[], mcpServer: McpServer): string[] {
  const defined = requested.filter((scope) => mcpServer.scopes.includes(scope))
  if (requested.length > 0 && defined.length === 0) {
    throw new InvalidScopeError(
      `${mcpServer.resource} defines none of the requested scopes "${formatScope(requested)}"; it defines "${formatScope(mcpServer.scopes)}"`,
    )
  }
  return defined
}

export interface EnforcePolicyDecisionOptions {
  organizationName: string
  user: DirectoryUser
  mcpServer: McpServer
  /** The requested scopes the MCP server defines (empty: none requested). */
  requestedScopes: readonly string[]
}

/**
 * Turns the administrator's decision (policy/decide-policy.ts) into the grant or the refusal
 * (IDP-13, IDP-16, IDP-17, IDP-55, IDP-56). Every refusal's description names the rule that decided.
 *
 * @returns the granted scopes, never empty.
 * @throws {AccessDeniedError} when nothing may be granted (IDP-55): a disabled account, a client
 *   switched off, a deny rule, or no rule allowing it (default deny).
 * @throws {InsufficientUserAuthenticationError} when a granted scope is sensitive and the user
 *   signed in too long ago (IDP-20, IDP-56): carries `max_age` (and `acr_values` when a rule asks).
 */
export function enforcePolicyDecision(decision: PolicyDecision, options: EnforcePolicyDecisionOptions): string[] {
  const { organizationName, user, mcpServer, requestedScopes } = options
  if (decision.blockedBy !== undefined || decision.granted.length === 0) {
    const what =
      requestedScopes.length === 0 || !decision.allowsAnything || decision.blockedBy !== undefined
        ? `${user.username} to use ${mcpServer.resource}`
        : `${user.username} the scope "${formatScope(requestedScopes)}" at ${mcpServer.resource}`
    throw new AccessDeniedError(`${organizationName} policy does not allow ${what}: ${decision.explanation}`)
  }
  if (decision.stepUp !== undefined) {
    const { scopes, maxAge, acrValues, rules } = decision.stepUp
    throw new InsufficientUserAuthenticationError(
      `${formatScope(scopes)} at ${mcpServer.resource} needs a sign-in at most ${maxAge} seconds old (rule "${rules.join(',')}"); sign the user in again (prompt=login, max_age=${maxAge}) and retry`,
      { maxAge, ...(acrValues === undefined ? {} : { acrValues }) },
    )
  }
  return decision.granted
}
