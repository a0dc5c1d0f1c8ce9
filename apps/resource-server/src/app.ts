import type { RedisConnection } from '@ema/redis-store'
import { createLogger, healthRoutes, type AuditLog, type Logger, type OpenStreams } from '@ema/server-kit'
import type { VerifyAccessTokenOptions } from '@ema/tokens'
import express, { type ErrorRequestHandler } from 'express'
import { requireBearerToken } from './bearer-token.ts'
import type { ResourceServerConfig } from './config.ts'
import { createMcpSessions } from './mcp-sessions.ts'
import { createSharedMcpSessions } from './shared-mcp-sessions.ts'
import {
  protectedResourceMetadataPath,
  protectedResourceMetadataUrl,
  serveProtectedResourceMetadata,
} from './protected-resource-metadata.ts'
import { requireAllowedHost } from './require-allowed-host.ts'
import { requireAllowedOrigin } from './require-allowed-origin.ts'
import { sendOAuthError } from './send-oauth-error.ts'
import { createTokenExchanger, type TokenExchanger } from '@ema/token-exchange'
import { createOnBehalfOf } from './on-behalf-of.ts'
import { createTasksApiClient, type TasksApiClient } from './tasks-api-client.ts'
import { createTasksServer } from './tasks-server.ts'
import { requireToolScopes } from './tool-scopes.ts'
import { createTokenIntrospector } from './token-introspection.ts'
import { jsonRpcError } from './json-rpc-error.ts'

export interface ResourceServerDeps {
  now: () => Date
  /** The MCP authorization server's keys, built once (`remoteKeySet(config.authorizationServer.jwksUri)`). */
  authorizationServerKeys: VerifyAccessTokenOptions['keys']
  /** Default: a logger that writes nothing. */
  log?: Logger
  /** The audit trail (server-kit): one event per tool call, granted or refused for scope. Absent → none. */
  audit?: AuditLog
  /**
   * OBO-03 … OBO-07: the RFC 8693 client for the on-behalf-of exchange. Default: one built from
   * `config.tokenExchange` (certificate files are read on the first exchange); none when that is unset.
   */
  tokenExchanger?: TokenExchanger
  /** Default: an HTTP client for `config.tasksApi.url`. */
  tasksApi?: TasksApiClient
  /** `/readyz`: resolves when the AS JWKS is cached or fetchable. Default: always ready. */
  ready?: () => Promise<void>
  /** `/readyz` answers 503 once this is true (shutdown began). */
  draining?: () => boolean
  /** Holds the standalone GET event streams, for a shutdown to end when draining begins. */
  openStreams?: OpenStreams
  /**
   * Decision 0090: with a Redis connection (REDIS_URL), MCP sessions are records in Redis under
   * `config.redisKeyPrefix`, served by any instance; without, they live in this process.
   */
  redis?: RedisConnection
}

/** The app, and what a shutdown needs of it once the requests in flight are done. */
export type ResourceServerApp = express.Express & { closeMcpSessions(): Promise<void> }

/** The MCP server "Tasks" as an express app. No side effects: nothing listens, nothing is fetched. */
export function createResourceServerApp(config: ResourceServerConfig, deps: ResourceServerDeps): ResourceServerApp {
  const log = deps.log ?? createLogger({ name: 'resource-server', write: () => {} })
  const resourceMetadata = protectedResourceMetadataUrl(config.resource)
  const exchanger =
    deps.tokenExchanger ??
    (config.tokenExchange === undefined ? undefined : createTokenExchanger(config.tokenExchange, { log }))
  const tasksApi =
    deps.tasksApi ?? createTasksApiClient({ url: config.tasksApi.url, timeoutMs: config.downstreamTimeoutMs })
  const onBehalfOf = createOnBehalfOf({ exchanger, tasksApi, log })
  const introspector =
    config.tokenIntrospection === undefined
      ? undefined
      : createTokenIntrospector(config.tokenIntrospection, { now: () => deps.now().getTime(), log })
  const createServer = () =>
    createTasksServer({
      toolScopes: config.toolScopes,
      tasksApiScopes: config.tasksApi.toolScopes,
      onBehalfOf,
      traceDownstream: config.traceDownstream,
      log,
    })
  const sessions =
    deps.redis === undefined
      ? createMcpSessions({ createServer, log, openStreams: deps.openStreams })
      : createSharedMcpSessions({ createServer, log, connection: deps.redis, prefix: config.redisKeyPrefix })

  const app = express()
  app.disable('x-powered-by')
  // /healthz (alive) and /readyz (the AS keys are at hand; not draining), before the Host checks.
  app.use(healthRoutes({ ready: deps.ready, draining: deps.draining, log }))

  // RS-01 … RS-04, RS-16: protected resource metadata at the path-inserted well-known URL.
  app.get(protectedResourceMetadataPath(config.resource), serveProtectedResourceMetadata(config))

  // The MCP endpoint (Streamable HTTP): each step refuses or passes on, in this order.
  app.all(
    config.mcpPath,
    allowOnly(['GET', 'POST', 'DELETE']),
    requireAllowedHost(config.allowedHosts, new URL(config.resource).protocol === 'https:' ? 'https:' : 'http:'), // DNS rebinding → 403
    requireAllowedOrigin(config.allowedOrigins), //        DNS-rebinding protection → 403
    express.urlencoded({ extended: false, limit: '16kb' }), // only to find a form-body access_token (RS-12)
    requireBearerToken(config, {
      now: deps.now,
      authorizationServerKeys: deps.authorizationServerKeys,
      introspector,
      log,
    }), // RS-05 … RS-12 → 400/401/503
    // JSON is parsed only for an authenticated caller: a request without a valid token gets its 401
    // challenge whatever its body holds (RFC 6750 §3), and an unauthenticated body is never read.
    express.json({ limit: '256kb' }),
    sessions.requireOwnSession, //                          RS-19 → 404
    requireToolScopes(config.toolScopes, deps.audit), //                RS-07 → 403
    sessions.handleMcpRequest,
  )

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', error_description: 'no such endpoint' })
  })

  app.use(((error, _req, res, _next) => {
    if (isBodyParserError(error)) {
      // Body limits (256 KB JSON, 16 KB form): 413, 415 or 400 as body-parser says, always as JSON-RPC.
      const code = error.type === 'entity.parse.failed' ? -32700 : -32600
      res.status(error.status).json(jsonRpcError(code, `Invalid request body: ${error.type}`))
      return
    }
    // The one place a refusal becomes a response (RS-05 … RS-08); never an HTML stack page.
    sendOAuthError(res, error, { resourceMetadata, scope: config.scopesSupported.join(' '), log })
  }) satisfies ErrorRequestHandler)

  return Object.assign(app, { closeMcpSessions: () => sessions.closeAll() })
}

function allowOnly(methods: readonly string[]): express.RequestHandler {
  return (req, res, next) => {
    if (methods.includes(req.method)) return next()
    res.status(405).set('allow', methods.join(', ')).json(jsonRpcError(-32000, 'Method not allowed'))
  }
}

/**
 * A client-side failure reported by body-parser (`entity.too.large`, `entity.parse.failed`,
 * `encoding.unsupported`, `charset.unsupported`, `request.aborted`, `parameters.too.many` …): a
 * 4xx with a `type`. Only `entity.*` used to count, so an unknown Content-Encoding was a 500.
 */
function isBodyParserError(error: unknown): error is { type: string; status: number } {
  if (typeof error !== 'object' || error === null) return false
  const { type, status } = error as { type?: unknown; status?: unknown }
  return typeof type === 'string' && typeof status === 'number' && status >= 400 && status < 500
}
