import {
  createAuditLog,
  createLogger,
  gracefulShutdown,
  listen,
  startOrExit,
  startOrExitAsync,
  type GracefulShutdown,
} from '@ema/server-kit'
import { generateSigningKey, importSigningKeys } from '@ema/tokens'
import { createIdpApp } from './app.ts'
import { loadConfig, type IdpConfig } from './config.ts'
import { openPolicyStore } from './policy/policy-store.ts'

// The only file that reads process.env.
// A configuration mistake (for example an AGENT_CLI_JWKS holding a private key) is one line, not a stack trace.
const config: IdpConfig = startOrExit('idp', () => loadConfig(process.env))
const log = createLogger({ name: 'idp', level: config.logLevel })

if (config.allowInsecureHttp) {
  log.warn('ALLOW_INSECURE_HTTP is ON: ID tokens, ID-JAGs and client secrets travel over plain HTTP. Local demos only.')
}
if (config.demoAttacks) {
  log.warn(
    '!!! IDP_DEMO_ATTACKS is ON: ID-JAGs for a partner authorization server and a second MCP server, and already-expired ID-JAGs on request (demo_expired), for the client app\'s "Break it" demo. Local demos only. !!!',
  )
}
// A malformed IDP_SIGNING_KEYS is one line, not a stack trace.
const keys = await startOrExitAsync('idp', async () =>
  config.signingKeyJwks === undefined ? [await generateSigningKey('ES256')] : importSigningKeys(config.signingKeyJwks),
)
const signingKey = keys[0]!
if (signingKey.source === 'ephemeral') {
  log.warn(
    '!!! USING A FRESHLY GENERATED SIGNING KEY (set IDP_SIGNING_KEYS to a JWK Set of private keys). Every restart invalidates all issued ID tokens and ID-JAGs, and other instances cannot verify them. !!!',
    { kid: signingKey.kid },
  )
}
if (config.cookieKeysSource === 'ephemeral') {
  log.warn(
    `Using random cookie keys (set IDP_COOKIE_KEYS): sign-in sessions end when the IdP restarts${config.redisUrl === undefined ? '' : ", and other instances cannot read this one's cookies"}.`,
  )
}

// Decision 0040: with REDIS_URL, oidc-provider's state and the rate-limit windows are shared and kept.
// The administrator's policy and the audit trail the console shows: with REDIS_URL in Redis, shared by
// every instance (decision 0080); else the state file's edits (a broken file is one line per problem), or the demo policy.
// The Redis client is loaded only with REDIS_URL: the in-memory default starts without it.
const shared = config.redisUrl === undefined ? undefined : await sharedStores(config.redisUrl)
const store = shared?.connection
const policy =
  shared?.policy ??
  startOrExit('idp', () => openPolicyStore({ demoPolicy: config.policy, world: config, file: config.policyStateFile }))
log.info(
  `policy: the ${config.policyVariant} demo policy${store === undefined && JSON.stringify(await policy.current()) !== JSON.stringify(policy.demoPolicy) ? ' as edited' : ''}; admin edits are kept ${policy.keptIn}${store === undefined && config.policyStateFile === undefined ? ' (IDP_POLICY_STATE_FILE=off)' : ''}`,
)
const audit = createAuditLog({
  role: 'idp',
  destination: config.auditLog,
  ...(shared === undefined ? {} : { trail: shared.auditTrail }),
  onWriteError: (error) =>
    log.error(
      store === undefined
        ? 'cannot write the audit log (AUDIT_LOG); events are kept in memory only'
        : 'cannot write the audit log (AUDIT_LOG) or keep an event in the shared trail (Redis)',
      { error: error instanceof Error ? error : String(error) },
    ),
})
let shutdown: GracefulShutdown | undefined
const app = createIdpApp(config, {
  signingKey,
  publishedKeys: keys,
  now: () => new Date(),
  log,
  policy,
  audit,
  ...(shared === undefined ? {} : { adapter: shared.adapter, rateLimitWindows: shared.rateLimitWindows }),
  ready: async () => {
    await store?.ping()
  },
  draining: () => shutdown?.draining() ?? false,
})
const listening = await startOrExitAsync('idp', () => listen({ port: config.port }, app)) // EADDRINUSE → one line
shutdown = gracefulShutdown({
  servers: [listening.server],
  log,
  timeoutMs: config.shutdownTimeoutMs,
  closers: store === undefined ? [] : [() => store.close()],
})
log.info(`Acme SSO (IdP) ready at ${config.issuer}; admin console at ${config.issuer}/admin`, {
  kids: keys.map((key) => key.kid),
  store: store === undefined ? 'memory' : 'redis',
  ...(store === undefined ? {} : { key_prefix: config.redisKeyPrefix }),
  clients: config.clients.map((client) => client.client_id),
})

/** What every instance shares on the Redis at `url`: the connection, the policy, the audit trail, oidc-provider's state and the rate-limit windows. */
async function sharedStores(url: string) {
  const [{ connectRedis, redisOidcAdapter, RedisAuditTrail, RedisRateLimitWindows }, { openRedisPolicyStore }] =
    await Promise.all([import('@ema/redis-store'), import('./policy/redis-policy-store.ts')])
  const connection = connectRedis({ url, commandTimeoutMs: config.redisCommandTimeoutMs, log })
  const prefix = config.redisKeyPrefix
  return {
    connection,
    policy: openRedisPolicyStore({
      demoPolicy: config.policy,
      world: config,
      connection,
      prefix,
      variant: config.policyVariant,
      log,
    }),
    auditTrail: new RedisAuditTrail({ connection, prefix }),
    adapter: redisOidcAdapter({ connection, prefix }),
    rateLimitWindows: new RedisRateLimitWindows({ connection, prefix }),
  }
}
