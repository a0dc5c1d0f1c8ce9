import type { AuditLog } from '@ema/server-kit'
import { InsufficientScopeError } from '@ema/tokens'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import type { RequestHandler } from 'express'
import { z } from 'zod'
import type { AuthenticatedRequest } from './bearer-token.ts'

/** The part of a JSON-RPC `tools/call` request that decides its scope. */
const ToolsCallRequest = z.object({
  jsonrpc: z.literal('2.0'),
  method: z.literal('tools/call'),
  params: z.object({ name: z.string() }),
})

/**
 * RS-07 at the HTTP layer: before the body reaches the MCP transport, every `tools/call` in it
 * (one message or a batch) is checked against the token's scopes. If any tool needs a scope the
 * token lacks, the whole request is refused with HTTP 403 `insufficient_scope`, naming in one
 * challenge every scope the request needs (MCP-A/26-07). Unknown tools pass through; the MCP server
 * answers them with its own error.
 */
export function requireToolScopes(
  toolScopes: Readonly<Record<string, string | null>>,
  audit?: AuditLog,
): RequestHandler {
  return (req: AuthenticatedRequest, _res, next) => {
    if (req.method !== 'POST' || req.auth === undefined) {
      next()
      return
    }
    const messages: unknown[] = Array.isArray(req.body) ? req.body : [req.body]
    const needed = new Set<string>()
    const tools: string[] = []
    for (const message of messages) {
      if ((message as { method?: unknown } | null)?.method !== 'tools/call') continue // not a tool call: no scope
      const call = ToolsCallRequest.safeParse(message)
      if (!call.success) continue
      tools.push(call.data.params.name)
      const scope = toolScopes[call.data.params.name]
      if (typeof scope === 'string') needed.add(scope)
    }
    const missing = [...needed].filter((scope) => !hasScope(req.auth!, scope))
    // One audit event per tool call, carrying the access token's jti (the AS's jwt_bearer event has it as access_token_jti).
    for (const tool of tools) {
      const scope = toolScopes[tool]
      const refused = typeof scope === 'string' && missing.length > 0
      audit?.record({
        event: 'tool_call',
        decision: refused ? 'refused' : 'granted',
        jti: typeof req.auth.extra?.jti === 'string' ? req.auth.extra.jti : undefined,
        sub: typeof req.auth.extra?.sub === 'string' ? req.auth.extra.sub : undefined,
        client_id: req.auth.clientId,
        resource: typeof req.auth.resource === 'object' ? req.auth.resource.href : undefined,
        tool,
        scope_required: typeof scope === 'string' ? scope : undefined,
        ...(refused ? { error: 'insufficient_scope', missing_scope: missing.join(' ') } : {}),
      })
    }
    if (missing.length > 0) {
      throw new InsufficientScopeError(
        `this request needs the scope ${[...needed].join(' ')}; the access token lacks ${missing.join(' ')}`,
        [...needed],
      )
    }
    next()
  }
}

/**
 * RS-07, defence in depth: the same rule inside each tool handler, using the AuthInfo the SDK
 * passes as `extra.authInfo`. The HTTP layer has already refused such calls, so reaching this
 * throw means a wiring mistake; the SDK turns it into an `isError` tool result.
 */
export function assertToolScope(authInfo: AuthInfo | undefined, scope: string | null): AuthInfo {
  if (authInfo === undefined)
    throw new InsufficientScopeError('the request carries no verified access token', scope === null ? [] : [scope])
  if (scope !== null && !hasScope(authInfo, scope)) {
    throw new InsufficientScopeError(`this tool needs the scope ${scope}`, [scope])
  }
  return authInfo
}

/** RS-13: the demo's scopes are flat (no scope implies another), so "has" is plain membership. */
function hasScope(authInfo: AuthInfo, scope: string): boolean {
  return authInfo.scopes.includes(scope)
}
