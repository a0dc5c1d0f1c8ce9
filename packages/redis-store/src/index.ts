export { connectRedis, type ConnectRedisOptions, type RedisClient, type RedisConnection } from './connect-redis.ts'
export { RedisReplayStore, type RedisReplayStoreOptions } from './replay-store.ts'
export { RedisRevocationStore, type RedisRevocationStoreOptions } from './revocation-store.ts'
export { ProviderStoreUnavailableError, redisOidcAdapter, type RedisOidcAdapterOptions } from './oidc-adapter.ts'
export { RedisRateLimitWindows, type RedisRateLimitWindowsOptions } from './rate-limit-windows.ts'
export {
  RedisVersionedDocument,
  type DocumentSnapshot,
  type RedisVersionedDocumentOptions,
} from './versioned-document.ts'
export { RedisAuditTrail, type RedisAuditTrailOptions } from './audit-trail.ts'
export {
  replayKey,
  revocationKey,
  rateLimitKey,
  oidcKey,
  grantKey,
  sessionUidKey,
  userCodeKey,
  documentKey,
  auditKey,
  taskListKey,
  taskOwnersKey,
  taskWritesKey,
  mcpSessionKey,
  webSessionKey,
} from './keys.ts'
