import { remoteKeySet, type VerifyAccessTokenOptions } from '@ema/tokens'
import {
  createLogger,
  describeCause,
  gracefulShutdown,
  isNonEmptyJwks,
  listen,
  startOrExit,
  startOrExitAsync,
  urlReadiness,
  type GracefulShutdown,
} from '@ema/server-kit'
import { createTasksApiApp } from './app.ts'
import { loadConfig, type TasksApiConfig } from './config.ts'

const { config, authorizationServerKeys } = startOrExit(
  'tasks-api',
  (): { config: TasksApiConfig; authorizationServerKeys: VerifyAccessTokenOptions['keys'] } => {
    const config = loadConfig(process.env)
    // One cached, rate-limited remote key set for the whole process (as at the MCP server, decision 0014).
    return {
      config,
      authorizationServerKeys: remoteKeySet(config.authorizationServer.jwksUri, {
        allowInsecureHttp: config.allowInsecureHttp,
        onStaleKeys: (cause, ageMs) =>
          log.warn('the authorization server JWKS cannot be fetched; using the last good keys', {
            jwks_uri: config.authorizationServer.jwksUri,
            age_s: Math.round(ageMs / 1000),
            cause: describeCause(cause),
          }),
      }),
    }
  },
)
const log = createLogger({ name: 'tasks-api', level: config.logLevel })

if (config.allowInsecureHttp) {
  log.warn(
    'ALLOW_INSECURE_HTTP is ON: access tokens travel over plain HTTP and the AS keys are fetched over plain HTTP. Local demos only.',
  )
}

// Ready when the AS keys are at hand: fetched lately, or within the hour the verifier keeps the last good set.
const jwksReady = urlReadiness(config.authorizationServer.jwksUri, { accept: isNonEmptyJwks })
let shutdown: GracefulShutdown | undefined
const app = createTasksApiApp(config, {
  now: () => new Date(),
  authorizationServerKeys,
  log,
  ready: jwksReady,
  draining: () => shutdown?.draining() ?? false,
})

const listening = await startOrExitAsync('tasks-api', () => listen({ port: config.port }, app)) // EADDRINUSE → one line
// SIGTERM: stop accepting, finish requests in flight (SHUTDOWN_TIMEOUT_MS), exit 0. The tasks live in this process.
shutdown = gracefulShutdown({ servers: [listening.server], log, timeoutMs: config.shutdownTimeoutMs })
log.info(`Tasks API ready at ${config.identifier}`, {
  as_issuer: config.authorizationServer.issuer,
  allowed_actors: config.allowedActors,
})
