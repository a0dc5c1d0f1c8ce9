import {
  createAuditLog,
  createLogger,
  gracefulShutdown,
  isNonEmptyJwks,
  listen,
  loggedRemoteKeySet,
  OpenStreams,
  startOrExit,
  startOrExitAsync,
  urlReadiness,
  type GracefulShutdown,
} from '@ema/server-kit'
import { CLIENT_AUTH_METHOD } from '@ema/tokens'
import { loadClientCertificate } from '@ema/token-exchange'
import { createResourceServerApp } from './app.ts'
import { loadConfig } from './config.ts'
import { protectedResourceMetadataUrl } from './protected-resource-metadata.ts'

const config = startOrExit('resource-server', () => loadConfig(process.env)) // one line, not a stack trace
const log = createLogger({ name: 'resource-server', level: config.logLevel })
// The authorization server's keys: one cached, rate-limited remote key set for the whole process.
// During a JWKS outage the last good set keeps serving for an hour (decision 0014).
const authorizationServerKeys = startOrExit('resource-server', () =>
  loggedRemoteKeySet(config.authorizationServer.jwksUri, {
    allowInsecureHttp: config.allowInsecureHttp,
    log,
    owner: 'the authorization server',
  }),
)

// OBO-07: a certificate that cannot be read is a start-up failure in words, not a failing tool later.
startOrExit('resource-server', () => {
  if (config.tokenExchange?.clientCertificate !== undefined)
    loadClientCertificate(config.tokenExchange.clientCertificate)
})
if (config.tokenExchange === undefined) {
  log.warn(
    'no client credentials for the token exchange (TOKEN_EXCHANGE_CLIENT_CERT_FILE and TOKEN_EXCHANGE_CLIENT_KEY_FILE, or TOKEN_EXCHANGE_CLIENT_SECRET): every tool will answer with an error, because the Tasks API is reached only with an exchanged token',
  )
}
if (config.traceDownstream) {
  log.warn(
    'MCP_TRACE_DOWNSTREAM is ON: tool results carry the on-behalf-of exchange and the decoded downstream token claims in _meta. Demos only.',
  )
}

if (config.allowInsecureHttp) {
  log.warn(
    'ALLOW_INSECURE_HTTP is ON: access tokens travel over plain HTTP and the AS keys are fetched over plain HTTP. Local demos only.',
  )
}

// One audit event per tool call, as JSON lines for a SIEM (AUDIT_LOG).
const audit = createAuditLog({
  role: 'resource-server',
  destination: config.auditLog,
  keep: 0,
  onWriteError: (error) =>
    log.error('cannot write the audit log (AUDIT_LOG)', { error: error instanceof Error ? error : String(error) }),
})
// Decision 0090: with REDIS_URL, MCP sessions (and their owners, RS-19) are records in Redis that any
// instance serves and a restart keeps; an unreachable Redis → 503, never a session served unchecked.
const redis =
  config.redisUrl === undefined
    ? undefined
    : (await import('@ema/redis-store')).connectRedis({
        url: config.redisUrl,
        commandTimeoutMs: config.redisCommandTimeoutMs,
        log,
      })
// Ready when the AS keys are at hand (fetched lately, or within the hour the verifier keeps the last good
// set) and, with REDIS_URL, Redis answers PING; the token exchange and the Tasks API are other roles'
// readiness, not this one's.
const jwksReady = urlReadiness(config.authorizationServer.jwksUri, { accept: isNonEmptyJwks })
const openStreams = new OpenStreams()
let shutdown: GracefulShutdown | undefined
const app = createResourceServerApp(config, {
  now: () => new Date(),
  authorizationServerKeys,
  log,
  audit,
  ready: async () => {
    await jwksReady()
    await redis?.ping()
  },
  draining: () => shutdown?.draining() ?? false,
  openStreams,
  ...(redis === undefined ? {} : { redis }),
})

const listening = await startOrExitAsync('resource-server', () => listen({ port: config.port }, app)) // EADDRINUSE → one line
// SIGTERM: stop accepting, end the GET event streams, let tool calls in flight finish (SHUTDOWN_TIMEOUT_MS),
// then close every MCP session's transport (and Redis) and exit 0. Without Redis, sessions live in this
// process: clients start new ones; with it, they live on for the other instances.
shutdown = gracefulShutdown({
  servers: [listening.server],
  log,
  timeoutMs: config.shutdownTimeoutMs,
  onDrain: () => openStreams.endAll(),
  closers: [() => app.closeMcpSessions(), ...(redis === undefined ? [] : [() => redis.close()])],
})
log.info(`MCP server ${config.resourceName} ready at ${config.resource}`, {
  sessions: redis === undefined ? 'memory' : 'redis',
  ...(redis === undefined ? {} : { key_prefix: config.redisKeyPrefix }),
  as_issuer: config.authorizationServer.issuer,
  as_jwks_uri: config.authorizationServer.jwksUri,
  protected_resource_metadata: protectedResourceMetadataUrl(config.resource),
  tasks_api: config.tasksApi.url,
  token_exchange_url: config.tokenExchange?.tokenUrl,
  token_introspection: config.tokenIntrospection?.url ?? 'off', // decision 0060
  token_exchange_client_auth:
    config.tokenExchange === undefined
      ? 'none configured'
      : config.tokenExchange.clientCertificate !== undefined
        ? CLIENT_AUTH_METHOD.TLS_CLIENT_AUTH
        : CLIENT_AUTH_METHOD.CLIENT_SECRET_BASIC,
})
