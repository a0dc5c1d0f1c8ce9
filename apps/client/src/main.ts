import {
  createLogger,
  gracefulShutdown,
  listen,
  OpenStreams,
  startOrExit,
  startOrExitAsync,
  urlReadiness,
  type GracefulShutdown,
} from '@ema/server-kit'
import { createClientApp } from './app.ts'
import { type ClientConfig, loadConfig } from './config.ts'

// The only file that reads process.env.
const config: ClientConfig = startOrExit('client', () => loadConfig(process.env)) // one line, not a stack trace
const log = createLogger({ name: 'client', level: config.logLevel })
if (config.allowInsecureHttp) {
  log.warn(
    'ALLOW_INSECURE_HTTP is ON: ID tokens, ID-JAGs, access tokens and client secrets travel over plain HTTP to loopback hosts. Local demos only.',
  )
}
// Decision 0090: with REDIS_URL, web sessions (sign-ins in progress, the signed-in user and ID token)
// are shared by every instance and kept across restarts; an unreachable Redis → 503.
const redis =
  config.redisUrl === undefined
    ? undefined
    : (await import('@ema/redis-store')).connectRedis({
        url: config.redisUrl,
        commandTimeoutMs: config.redisCommandTimeoutMs,
        log,
      })
// Ready when the IdP's discovery document answers for IDP_ISSUER (sign-in needs it) and, with REDIS_URL,
// Redis answers PING (sessions need it).
const idpReady = urlReadiness(`${config.idpIssuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
  accept: (body) =>
    typeof body === 'object' && body !== null && (body as { issuer?: unknown }).issuer === config.idpIssuer,
  staleIfErrorMs: 0,
})
const openStreams = new OpenStreams()
let shutdown: GracefulShutdown | undefined
const app = createClientApp(config, {
  fetch: globalThis.fetch,
  now: () => new Date(),
  log,
  ready: async () => {
    await idpReady()
    await redis?.ping()
  },
  draining: () => shutdown?.draining() ?? false,
  openStreams,
  ...(redis === undefined ? {} : { redis }),
})
const listening = await startOrExitAsync('client', () => listen({ port: config.port }, app)) // EADDRINUSE → one line
// SIGTERM: stop accepting, end the /events streams, finish requests in flight (SHUTDOWN_TIMEOUT_MS), close
// Redis, exit 0. Without Redis, sessions live in this process: after a restart users sign in again.
shutdown = gracefulShutdown({
  servers: [listening.server],
  log,
  timeoutMs: config.shutdownTimeoutMs,
  onDrain: () => openStreams.endAll(),
  closers: redis === undefined ? [] : [() => redis.close()],
})
log.info(`Acme Agent ready at ${config.clientUrl}`, {
  sessions: redis === undefined ? 'memory' : 'redis',
  ...(redis === undefined ? {} : { key_prefix: config.redisKeyPrefix }),
})
