import { InvalidGrantError, InvalidScopeError, intersectScopes, parseScope, type IdJagClaims } from '@ema/tokens'
import type { McpServer } from '../config.ts'

/**
 * AS-26, AS-27: the scopes to issue.
 *
 * - AS-26: every scope the ID-JAG grants MUST be registered for the MCP server; otherwise `invalid_grant`.
 * - AS-27 (ambiguity 2, read as intended): issued = ID-JAG scopes ∩ requested scopes (if a `scope`
 *   parameter was sent) ∩ registered scopes. Asking for a scope the ID-JAG does not grant is
 *   `invalid_scope` (RFC 6749 §5.2); so is an empty result.
 */
export function grantScope(idJag: IdJagClaims, requestedScope: string | undefined, server: McpServer): string[] {
  const granted = parseScope(idJag.scope)
  const unregistered = granted.filter((scope) => !server.scopes.includes(scope))
  if (unregistered.length > 0) {
    // AS-26: a mismatch with the registered scopes MUST be rejected with invalid_grant.
    throw new InvalidGrantError(`the ID-JAG grants scopes that ${server.resource} does not define: ${unregistered.join(' ')}`)
  }

  let issued = intersectScopes(granted, server.scopes)
  if (requestedScope !== undefined) {
    const requested = parseScope(requestedScope)
    const beyond = requested.filter((scope) => !granted.includes(scope))
    if (beyond.length > 0) {
      // AS-27: never issue more than the ID-JAG grants.
      throw new InvalidScopeError(`the requested scopes are not granted by the ID-JAG: ${beyond.join(' ')}`)
    }
    issued = intersectScopes(issued, requested)
  }
  if (issued.length === 0) throw new InvalidScopeError('no scope can be granted')
  return issued
}
