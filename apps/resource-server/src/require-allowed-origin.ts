import type { RequestHandler } from 'express'
import { jsonRpcError } from './json-rpc-error.ts'

/**
 * DNS-rebinding protection for the MCP endpoint (MCP Streamable HTTP transport, "Security Warning"):
 * a request that names an `Origin` must name an allowed one. Requests without `Origin` (server-side
 * clients, CLIs) pass: the bearer token protects them.
 */
export function requireAllowedOrigin(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins)
  return (req, res, next) => {
    const origin = req.headers.origin
    if (origin === undefined || allowed.has(origin)) {
      next()
      return
    }
    res.status(403).json(jsonRpcError(-32000, `Forbidden: Origin ${origin} is not allowed`))
  }
}
