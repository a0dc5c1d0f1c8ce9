import {
  createLogger,
  demoResetRoutes,
  healthRoutes,
  NoBearerTokenError,
  oauthErrorResponse,
  type Logger,
} from '@ema/server-kit'
import { InvalidRequestError, type VerifyAccessTokenOptions } from '@ema/tokens'
import express, { type ErrorRequestHandler } from 'express'
import type { TasksApiConfig } from './config.ts'
import { requireDelegatedAccessToken } from './delegated-access-token.ts'
import { protectedResourceMetadataPath, serveProtectedResourceMetadata } from './protected-resource-metadata.ts'
import { createInMemoryTaskStore, type TaskStore } from './task-store.ts'
import { tasksRoutes } from './tasks-routes.ts'

export interface TasksApiDeps {
  now: () => Date
  /** The authorization server's keys, built once (`remoteKeySet(config.authorizationServer.jwksUri)`). */
  authorizationServerKeys: VerifyAccessTokenOptions['keys']
  /** Default: a logger that writes nothing. */
  log?: Logger
  /** Default: a fresh in-memory store. */
  store?: TaskStore
  /** `/readyz`: resolves when the authorization server's JWKS is cached or fetchable. Default: always ready. */
  ready?: () => Promise<void>
  /** `/readyz` answers 503 once this is true (shutdown began). */
  draining?: () => boolean
}

/** The Tasks API as an express app. No side effects: nothing listens, nothing is fetched. */
export function createTasksApiApp(config: TasksApiConfig, deps: TasksApiDeps): express.Express {
  const log = deps.log ?? createLogger({ name: 'tasks-api', write: () => {} })
  const store = deps.store ?? createInMemoryTaskStore()
  const metadataUrl = new URL(protectedResourceMetadataPath(config.identifier), config.identifier).href

  const app = express()
  app.disable('x-powered-by')
  // /healthz (alive) and /readyz (the AS keys are at hand; not draining), before everything else.
  app.use(healthRoutes({ ready: deps.ready, draining: deps.draining, log }))
  // Demo only (DEMO_RESET=true, the shared DEMO_RESET_SECRET): every list back to empty. Off → 404.
  app.use(
    demoResetRoutes({
      config: config.demoReset,
      reset: async () => {
        await store.clear()
        return ['tasks-api: every task list emptied']
      },
      log,
    }),
  )

  app.get(protectedResourceMetadataPath(config.identifier), serveProtectedResourceMetadata(config))

  // Every API route: a form body is parsed only to refuse a token in it (RS-12); then the token (OBO-18, OBO-13).
  app.use(
    ['/tasks', '/whoami'],
    express.urlencoded({ extended: false, limit: '16kb' }),
    requireDelegatedAccessToken(config, { now: deps.now, authorizationServerKeys: deps.authorizationServerKeys }),
  )
  app.use(tasksRoutes({ store, now: deps.now, log }))

  app.use((_req, res) => {
    res.status(404).set('cache-control', 'no-store').json({
      error: 'not_found',
      error_description: 'no such endpoint: the Tasks API has GET /whoami, GET /tasks and POST /tasks',
    })
  })

  app.use(((error, _req, res, _next) => {
    // body-parser's client errors (too large, unparsable JSON, unknown encoding): 4xx invalid_request.
    const refusal = isBodyParserError(error)
      ? new InvalidRequestError(`the request body could not be read (${error.type})`)
      : error
    const { status, headers, body } = oauthErrorResponse(refusal, {
      resourceMetadata: metadataUrl,
      scope: config.scopesSupported.join(' '),
      credentialsPresented: !(refusal instanceof NoBearerTokenError),
      log,
    })
    if (res.headersSent) {
      res.end()
      return
    }
    res
      .status(isBodyParserError(error) ? error.status : status)
      .set(headers)
      .json(body)
  }) satisfies ErrorRequestHandler)

  return app
}

function isBodyParserError(error: unknown): error is { type: string; status: number } {
  if (typeof error !== 'object' || error === null) return false
  const { type, status } = error as { type?: unknown; status?: unknown }
  return typeof type === 'string' && typeof status === 'number' && status >= 400 && status < 500
}
