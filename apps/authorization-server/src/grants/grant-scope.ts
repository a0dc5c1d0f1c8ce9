import { InvalidGrantError, InvalidScopeError, intersectScopes, parseScope, type IdJagClaims } from '@ema/tokens'
import type { McpServer } from '../config.ts'

/**
 * AS-26, AS-27: the scopes to issue.
 *
 * - AS-26: every scope the ID-JAG grants MUST be registered for the MCP server; otherwise `invalid_grant`.
 * - AS-27 (ambiguity 2, read as intended; EMA-S §7.2.1 "issue the intersection"): issued = ID-JAG
 *   scopes ∩ requested scopes (if a `scope` parameter was sent) ∩ registered scopes. A request wider
 *   than the ID-JAG is narrowed, not refused (RFC 6749 §3.3: the server MAY partially ignore the
 *   requested scope, and then names what it issued in `scope`, AS-35). This is what lets a client
 *   that asked the IdP for more than policy allowed, and re-asks here, still get what was granted.
 *   Only an empty result is `invalid_scope` (RFC 6749 §5.2).
 */
export function grantScope(idJag: IdJagClaims, requestedScope: string | undefined, server: McpServer): string[] {
  const granted = parseScope(idJag.scope)
  const unregistered = granted.filter((scope) => !server.scopes.includes(scope))
  if (unregistered.length > 0) {
    // AS-26: a mismatch with the registered scopes MUST be rejected with invalid_grant.
    throw new InvalidGrantError(
      `the ID-JAG grants scopes that ${server.resource} does not define: ${unregistered.join(' ')}`,
    )
  }
  if (granted.length === 0) throw new InvalidScopeError('the ID-JAG grants no scope, so no scope can be issued')

  // AS-27: never more than the ID-JAG grants, narrowed to the request when there is one.
  const issued =
    requestedScope === undefined
      ? intersectScopes(granted, server.scopes)
      : intersectScopes(granted, server.scopes, parseScope(requestedScope))
  if (issued.length === 0) {
    throw new InvalidScopeError(
      `none of the requested scopes "${requestedScope ?? ''}" is granted by the ID-JAG ("${granted.join(' ')}")`,
    )
  }
  return issued
}
