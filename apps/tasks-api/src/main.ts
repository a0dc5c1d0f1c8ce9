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
import { createRedisTaskStore } from './redis-task-store.ts'

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

// Decision 0090: with REDIS_URL the tasks live in Redis, shared by every instance and kept across
// restarts; an unreachable Redis → 503 temporarily_unavailable, never a 500.
const redis =
  config.redisUrl === undefined
    ? undefined
    : (await import('@ema/redis-store')).connectRedis({
        url: config.redisUrl,
        commandTimeoutMs: config.redisCommandTimeoutMs,
        log,
      })
// Ready when the AS keys are at hand (fetched lately, or within the hour the verifier keeps the last good
// set) and, with REDIS_URL, Redis answers PING.
const jwksReady = urlReadiness(config.authorizationServer.jwksUri, { accept: isNonEmptyJwks })
let shutdown: GracefulShutdown | undefined
const app = createTasksApiApp(config, {
  now: () => new Date(),
  authorizationServerKeys,
  log,
  ...(redis === undefined ? {} : { store: createRedisTaskStore({ connection: redis, prefix: config.redisKeyPrefix }) }),
  ready: async () => {
    await jwksReady()
    await redis?.ping()
  },
  draining: () => shutdown?.draining() ?? false,
})

const listening = await startOrExitAsync('tasks-api', () => listen({ port: config.port }, app)) // EADDRINUSE → one line
// SIGTERM: stop accepting, finish requests in flight (SHUTDOWN_TIMEOUT_MS), close Redis, exit 0.
shutdown = gracefulShutdown({
  servers: [listening.server],
  log,
  timeoutMs: config.shutdownTimeoutMs,
  closers: redis === undefined ? [] : [() => redis.close()],
})
log.info(`Tasks API ready at ${config.identifier}`, {
  store: redis === undefined ? 'memory (lost on restart)' : 'redis',
  ...(redis === undefined ? {} : { key_prefix: config.redisKeyPrefix }),
  as_issuer: config.authorizationServer.issuer,
  allowed_actors: config.allowedActors,
})
