import {
  generateSigningKey,
  importSigningKeys,
  InMemoryReplayStore,
  InMemoryRevocationStore,
  type IssuerKeys,
  type ReplayStore,
  type RevocationStore,
} from '@ema/tokens'
import { readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import {
  createAuditLog,
  createLogger,
  describeCause,
  gracefulShutdown,
  listen,
  listenTls,
  loggedRemoteKeySet,
  startOrExit,
  startOrExitAsync,
  type GracefulShutdown,
} from '@ema/server-kit'
import type { JWTVerifyGetKey } from 'jose'
import { loadConfig, type AuthorizationServerConfig } from './config.ts'
import { createAuthorizationServerApp } from './app.ts'

const config: AuthorizationServerConfig = startOrExit('authorization-server', () => loadConfig(process.env))
const log = createLogger({ name: 'authorization-server', level: config.logLevel })

if (config.allowInsecureHttp) {
  log.warn('!!! ALLOW_INSECURE_HTTP is ON: tokens and client secrets travel over plain HTTP. Local demos only. !!!')
}

if (config.demoAttacks) {
  log.warn(
    '!!! AS_DEMO_ATTACKS is ON: a second MCP server and the client "other-agent" (secret in the source) are registered for the client app\'s "Break it" demo. Local demos only. !!!',
  )
}
if (config.demoClassic) {
  log.warn(
    '!!! DEMO_CLASSIC is ON: the interactive client "acme-agent-classic" (secret in the source) is registered for the client app\'s "without enterprise-managed authorization" toggle. Local demos only. !!!',
  )
}
if (config.cookieKeysSource === 'ephemeral') {
  log.warn(
    '!!! No AS_COOKIE_KEYS configured: using a random cookie key. Every restart ends all sign-in sessions and authorizations in progress. !!!',
  )
}

// A malformed AS_SIGNING_KEYS is one line, not a stack trace.
const keys = await startOrExitAsync('authorization-server', async () =>
  config.signingKeys !== undefined ? importSigningKeys(config.signingKeys) : [await generateSigningKey('ES256')],
)
const signingKey = keys[0]!
if (signingKey.source === 'ephemeral') {
  log.warn(
    '!!! No AS_SIGNING_KEYS configured: using a freshly generated ES256 key. Every restart invalidates all issued access tokens, and other instances cannot verify them. !!!',
    { kid: signingKey.kid },
  )
}

// Decision 0040: with REDIS_URL, redeemed ID-JAGs, oidc-provider's state and the rate-limit windows are
// shared by every instance and kept across restarts; an unreachable Redis → 503, never a replay. The
// Redis client is loaded only then: the in-memory default starts without it.
const shared = config.redisUrl === undefined ? undefined : await sharedStores(config.redisUrl)
const store = shared?.connection
const replayStore: ReplayStore =
  shared === undefined
    ? new InMemoryReplayStore({
        maxEntries: config.replayStoreMaxEntries,
        onNearlyFull: (size, maxEntries) =>
          log.warn('the replay store is 80 % full: past REPLAY_STORE_MAX_ENTRIES, redemptions are refused (503)', {
            size,
            max_entries: maxEntries,
          }),
      })
    : shared.replayStore
// RFC 7009 (decision 0060): revoked access tokens, by jti until their exp; shared like the replay store.
const revocationStore: RevocationStore = shared?.revocationStore ?? new InMemoryRevocationStore()
let shutdown: GracefulShutdown | undefined

// AS-13, AS-15, AS-16: one cached key set per trusted IdP, built once at start-up. During a JWKS
// outage the last good set keeps serving for an hour (decision 0014); the first use is logged. A JWKS
// URL remoteKeySet refuses is one start-up line, never a stack trace.
const keySets = startOrExit(
  'authorization-server',
  () =>
    new Map<string, JWTVerifyGetKey>(
      config.trustedIdps.map((idp) => [
        idp.issuer,
        loggedRemoteKeySet(idp.jwks_uri, {
          allowInsecureHttp: config.allowInsecureHttp,
          log,
          owner: 'the IdP',
          fields: { idp: idp.issuer },
        }),
      ]),
    ),
)
const issuerKeys: IssuerKeys = (issuer) => keySets.get(issuer)

// Every redemption (replays included) and on-behalf-of exchange, as JSON lines for a SIEM (AUDIT_LOG).
const audit = createAuditLog({
  role: 'authorization-server',
  destination: config.auditLog,
  keep: 0,
  onWriteError: (error) =>
    log.error('cannot write the audit log (AUDIT_LOG)', { error: error instanceof Error ? error : String(error) }),
})

const app = createAuthorizationServerApp(config, {
  audit,
  now: () => new Date(),
  signingKey,
  publishedKeys: keys,
  issuerKeys,
  replayStore,
  revocationStore,
  ...(shared === undefined ? {} : { adapter: shared.adapter, rateLimitWindows: shared.rateLimitWindows }),
  ready: async () => {
    await store?.ping()
  },
  draining: () => shutdown?.draining() ?? false,
  log,
})
const servers: Server[] = [
  (await startOrExitAsync('authorization-server', () => listen({ port: config.port }, app))).server,
] // EADDRINUSE → one line
// RFC 8705 §5: the mTLS endpoint alias, the same app over HTTPS, asking every client for a certificate.
const { mtls } = config
if (mtls !== undefined) {
  const pem = startOrExit('authorization-server', () => ({
    cert: readPem(mtls.certFile, 'AS_MTLS_CERT_FILE'),
    key: readPem(mtls.keyFile, 'AS_MTLS_KEY_FILE'),
    clientCa: readPem(mtls.caFile, 'AS_MTLS_CA_FILE'),
  }))
  servers.push(
    (await startOrExitAsync('authorization-server', () => listenTls({ port: mtls.port, ...pem }, app))).server,
  )
  log.info(`mTLS endpoint alias ready at ${mtls.url}/token (RFC 8705 tls_client_auth)`, { ca: mtls.caFile })
}
shutdown = gracefulShutdown({
  servers,
  log,
  timeoutMs: config.shutdownTimeoutMs,
  closers: store === undefined ? [] : [() => store.close()],
})
log.info(`MCP authorization server ready at ${config.issuer}`, {
  kids: keys.map((key) => key.kid),
  store: store === undefined ? 'memory' : 'redis',
  ...(store === undefined ? {} : { key_prefix: config.redisKeyPrefix }),
  trusted_idps: config.trustedIdps.map((idp) => idp.issuer),
  mcp_servers: config.mcpServers.map((server) => server.resource),
  clients: config.clients.map((client) => client.client_id),
  sign_in_idp: config.signInIdp.issuer,
  downstream_apis: config.downstreamApis.map((api) => api.identifier),
})

/** The stores every instance shares on the Redis at `url` (decision 0040). */
async function sharedStores(url: string) {
  const { connectRedis, redisOidcAdapter, RedisRateLimitWindows, RedisReplayStore, RedisRevocationStore } =
    await import('@ema/redis-store')
  const connection = connectRedis({ url, commandTimeoutMs: config.redisCommandTimeoutMs, log })
  const prefix = config.redisKeyPrefix
  return {
    connection,
    replayStore: new RedisReplayStore({ connection, prefix }),
    revocationStore: new RedisRevocationStore({ connection, prefix }),
    adapter: redisOidcAdapter({ connection, prefix }),
    rateLimitWindows: new RedisRateLimitWindows({ connection, prefix }),
  }
}

/** A PEM file named by configuration; a missing or unreadable one is one clear start-up line. */
function readPem(file: string, name: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (cause) {
    throw new TypeError(
      `${name} ${file} cannot be read (${describeCause(cause)}); npm start makes the demo PKI in .demo/pki/`,
      { cause },
    )
  }
}
