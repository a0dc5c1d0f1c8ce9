import { redact } from '@ema/tokens'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import type { Logger, OpenStreams } from '@ema/server-kit'
import type { RequestHandler, Response } from 'express'
import type { AuthenticatedRequest } from './bearer-token.ts'
import { principalOf, samePrincipal, type Principal } from './principal.ts'
import { jsonRpcError } from './json-rpc-error.ts'

interface McpSession {
  transport: StreamableHTTPServerTransport
  /** RS-19: the principal whose token created the session. */
  principal: Principal
}

export interface McpSessionsOptions {
  /** Builds the MCP server for a new session, e.g. `createTasksServer`. */
  createServer: () => { connect(transport: StreamableHTTPServerTransport): Promise<void> }
  log: Logger
  /** Where the standalone GET event streams are held, so that a shutdown ends them when draining begins. */
  openStreams?: OpenStreams
}

export interface McpSessions {
  /** RS-19: a request naming a session must name one that exists and belongs to this principal. */
  requireOwnSession: RequestHandler
  /** Hands the request to its session's transport, or opens a session for an `initialize` request. */
  handleMcpRequest: RequestHandler
  /** Closes every session's transport (and its MCP server), e.g. once a shutdown has drained the requests. */
  closeAll(): Promise<void>
  /** How many sessions this process holds a transport for (for logs and tests; 0 when they are shared on Redis). */
  readonly size: number
}

const SESSION_HEADER = 'mcp-session-id'

/**
 * In-process Streamable HTTP sessions (without REDIS_URL; with it, `createSharedMcpSessions`), each bound to the principal (`client_id`, `iss`, `sub`) of the
 * token that created it (RS-19, MCP-A/25-11 §Session Hijacking). Session ids are random UUIDs.
 * DELETE with the session id ends a session (the SDK transport handles it).
 */
export function createMcpSessions(options: McpSessionsOptions): McpSessions {
  const sessions = new Map<string, McpSession>()
  const { log } = options

  const requireOwnSession: RequestHandler = (req: AuthenticatedRequest, res, next) => {
    const sessionId = req.header(SESSION_HEADER)
    if (sessionId === undefined) {
      next()
      return
    }
    const session = sessions.get(sessionId)
    // RS-19: another principal's session is answered exactly like an unknown one, so a leaked id
    // neither works nor confirms that it exists.
    if (session === undefined || req.auth === undefined || !samePrincipal(session.principal, principalOf(req.auth))) {
      if (session !== undefined)
        log.warn("refused: session used with another principal's token", { session: redact(sessionId) })
      sessionNotFound(res)
      return
    }
    next()
  }

  const handleMcpRequest: RequestHandler = async (req: AuthenticatedRequest, res) => {
    const sessionId = req.header(SESSION_HEADER)
    if (sessionId !== undefined) {
      const session = sessions.get(sessionId)
      if (session === undefined) return sessionNotFound(res) // closed between the guard and here
      if (req.method === 'GET') {
        // The standalone event stream never finishes on its own: a shutdown ends it, and refuses new ones.
        if (options.openStreams?.ended === true) {
          res.status(503).set('retry-after', '1').json(jsonRpcError(-32000, 'Shutting down'))
          return
        }
        options.openStreams?.add(res)
      }
      await session.transport.handleRequest(req, res, req.body)
      return
    }
    if (req.method !== 'POST' || !isInitializeRequest(req.body) || req.auth === undefined) return noSessionYet(res)
    const principal = principalOf(req.auth)
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, principal }) // RS-19: bound at creation
        log.info('MCP session opened', {
          session: redact(id),
          client_id: principal.client_id,
          iss: principal.iss,
          sub: principal.sub,
        })
      },
      onsessionclosed: (id) => {
        sessions.delete(id)
        log.info('MCP session ended', { session: redact(id) })
      },
    })
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId)
    }
    await options.createServer().connect(transport)
    await transport.handleRequest(req, res, req.body)
  }

  const closeAll = async (): Promise<void> => {
    const open = [...sessions.values()]
    sessions.clear()
    await Promise.all(open.map((session) => session.transport.close()))
    if (open.length > 0) log.info('MCP sessions closed', { count: open.length })
  }

  return {
    requireOwnSession,
    handleMcpRequest,
    closeAll,
    get size() {
      return sessions.size
    },
  }
}

/** The answer to a request without a session id that is not an `initialize`: 400, start with initialize. */
export function noSessionYet(res: Response): void {
  res.status(400).json(jsonRpcError(-32000, 'Bad Request: no valid session id; start a session with initialize'))
}

/** The Streamable HTTP answer for an unknown session: 404, so the client starts a new one. */
export function sessionNotFound(res: Response): void {
  res.status(404).json(jsonRpcError(-32001, 'Session not found'))
}
