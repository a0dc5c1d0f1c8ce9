import {
  createLogger,
  gracefulShutdown,
  isNonEmptyJwks,
  listen,
  loggedRemoteKeySet,
  startOrExit,
  startOrExitAsync,
  urlReadiness,
  type GracefulShutdown,
} from '@ema/server-kit'
import { createTasksApiApp } from './app.ts'
import { loadConfig } from './config.ts'

const config = startOrExit('tasks-api', () => loadConfig(process.env)) // one line, not a stack trace
const log = createLogger({ name: 'tasks-api', level: config.logLevel })
// One cached, rate-limited remote key set for the whole process (as at the MCP server, decision 0014).
const authorizationServerKeys = startOrExit('tasks-api', () =>
  loggedRemoteKeySet(config.authorizationServer.jwksUri, {
    allowInsecureHttp: config.allowInsecureHttp,
    log,
    owner: 'the authorization server',
  }),
)
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
