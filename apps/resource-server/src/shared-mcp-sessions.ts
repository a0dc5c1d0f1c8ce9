import type { RedisConnection } from '@ema/redis-store'
import { mcpSessionKey } from '@ema/redis-store/keys'
import { redact } from '@ema/tokens'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import type { RequestHandler, Response } from 'express'
import type { AuthenticatedRequest } from './bearer-token.ts'
import { jsonRpcError } from './json-rpc-error.ts'
import { noSessionYet, sessionNotFound, type McpSessions, type McpSessionsOptions } from './mcp-sessions.ts'
import { principalOf, samePrincipal, type Principal } from './principal.ts'

export interface SharedMcpSessionsOptions extends Pick<McpSessionsOptions, 'createServer' | 'log'> {
  connection: RedisConnection
  /** The deployment's key prefix (`REDIS_KEY_PREFIX`, default `ema:resource-server:<RS_RESOURCE>`). */
  prefix: string
  /** A session unused for this long ends (its key expires). Default 3600. */
  idleSeconds?: number
}

const SESSION_HEADER = 'mcp-session-id'
/** A session id is a UUID here; anything longer is not one of ours and never reaches Redis. */
const MAX_SESSION_ID_LENGTH = 64

/**
 * MCP sessions shared by every instance of the MCP server through Redis (decision 0090): any instance
 * serves any session, and a restart ends none.
 *
 * The session is a record, not a process: `<prefix>:mcp-session:<sha256(id)>` holds the principal
 * (`client_id`, `iss`, `sub`) of the token that opened it (RS-19), and expires after `idleSeconds`
 * without use (each use renews it). Each request is served by a fresh MCP server on a stateless
 * Streamable HTTP transport, after the session's owner was checked; the session id is ours, set on the
 * response. This works because the Tasks server keeps nothing per session: its tools are stateless
 * and it sends nothing unprompted. What a per-process session would offer and this does not: the
 * standalone GET event stream (GET answers 405, which the Streamable HTTP transport allows and the
 * SDK clients expect) and resuming a broken response stream (no EventStore; a client re-sends).
 *
 * Fails closed: when Redis cannot answer, a request naming a session, and an `initialize`, are refused
 * with 503 `temporarily_unavailable` (StoreUnavailableError, rendered by the MCP endpoint's error
 * handler), never served unchecked.
 */
export function createSharedMcpSessions(options: SharedMcpSessionsOptions): McpSessions {
  const { connection, prefix, log } = options
  const idleMs = (options.idleSeconds ?? 3600) * 1000

  /** The owner of a session, renewing its idle lifetime; undefined when it does not exist (or expired). */
  const ownerOf = async (sessionId: string): Promise<Principal | undefined> => {
    if (sessionId.length > MAX_SESSION_ID_LENGTH) return undefined
    const stored = await connection.run((redis) =>
      redis.getEx(mcpSessionKey(prefix, sessionId), { type: 'PX', value: idleMs }),
    )
    return stored === null ? undefined : (JSON.parse(stored) as Principal)
  }

  const requireOwnSession: RequestHandler = async (req: AuthenticatedRequest, res, next) => {
    const sessionId = req.header(SESSION_HEADER)
    if (sessionId === undefined) return next()
    const owner = await ownerOf(sessionId) // Redis down → StoreUnavailableError → 503
    // RS-19: another principal's session is answered exactly like an unknown one, so a leaked id
    // neither works nor confirms that it exists, at any instance.
    if (owner === undefined || req.auth === undefined || !samePrincipal(owner, principalOf(req.auth))) {
      if (owner !== undefined)
        log.warn("refused: session used with another principal's token", { session: redact(sessionId) })
      return sessionNotFound(res)
    }
    next()
  }

  const handleMcpRequest: RequestHandler = async (req: AuthenticatedRequest, res) => {
    const sessionId = req.header(SESSION_HEADER)
    if (sessionId !== undefined) {
      // requireOwnSession has checked the owner just before.
      if (req.method === 'DELETE') {
        await connection.run((redis) => redis.del(mcpSessionKey(prefix, sessionId)))
        log.info('MCP session ended', { session: redact(sessionId) })
        res.status(200).end()
        return
      }
      if (req.method === 'GET') {
        // Nothing is ever sent unprompted, and a stream held by one instance could not carry what another sends.
        res
          .status(405)
          .set('allow', 'POST, DELETE')
          .json(jsonRpcError(-32000, 'This server offers no standalone SSE stream'))
        return
      }
      res.setHeader(SESSION_HEADER, sessionId)
      await serve(req, res)
      return
    }
    if (req.method !== 'POST' || !isInitializeRequest(req.body) || req.auth === undefined) return noSessionYet(res)
    const principal = principalOf(req.auth)
    const newId = crypto.randomUUID()
    // RS-19: bound at creation, before the client learns the id.
    await connection.run((redis) =>
      redis.set(mcpSessionKey(prefix, newId), JSON.stringify(principal), {
        condition: 'NX',
        expiration: { type: 'PX', value: idleMs },
      }),
    )
    log.info('MCP session opened', {
      session: redact(newId),
      client_id: principal.client_id,
      iss: principal.iss,
      sub: principal.sub,
    })
    res.setHeader(SESSION_HEADER, newId)
    await serve(req, res)
  }

  /** One request, one MCP server on one stateless transport; both closed when the response ends. */
  const serve = async (req: AuthenticatedRequest, res: Response): Promise<void> => {
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
    const server = options.createServer()
    res.on('close', () => {
      void transport.close()
    })
    await server.connect(transport)
    await transport.handleRequest(req, res, req.body)
  }

  return {
    requireOwnSession,
    handleMcpRequest,
    // Nothing to close: each request's transport closes with its response, and the sessions live on in Redis.
    closeAll: async () => {},
    size: 0,
  }
}
