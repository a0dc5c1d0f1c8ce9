export {
  createLogger,
  parseLogLevel,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
} from './logger.ts'
export { oauthErrorResponse, type OAuthErrorResponse, type OAuthErrorResponseOptions } from './oauth-error-response.ts'
export { describeCause } from './describe-cause.ts'
export { escapeHtml } from './escape-html.ts'
export { startOrExit, startOrExitAsync } from './start-or-exit.ts'
export { listen, type ListenOptions, type Listening } from './listen.ts'
export { listenTls, type ListenTlsOptions, type ListeningTls } from './listen-tls.ts'
export { NoBearerTokenError, readBearerToken, type BearerTokenRequest } from './read-bearer-token.ts'
export { HEALTH_PATHS, healthRoutes, type HealthRoutesOptions } from './health.ts'
export { gracefulShutdown, type GracefulShutdown, type GracefulShutdownOptions } from './graceful-shutdown.ts'
export { loadRuntimeConfig, type RuntimeConfig } from './runtime-config.ts'
export { isNonEmptyJwks, urlReadiness, type UrlReadinessOptions } from './readiness.ts'
export { OpenStreams } from './open-streams.ts'
export {
  createAuditLog,
  InMemoryAuditTrail,
  parseAuditDestination,
  type AuditDecision,
  type AuditDestination,
  type AuditEvent,
  type AuditEventInput,
  type AuditLog,
  type AuditLogOptions,
  type AuditTrail,
} from './audit-log.ts'
export {
  DEMO_RESET_PATH,
  demoResetRoutes,
  readDemoReset,
  type DemoResetConfig,
  type DemoResetRoutesOptions,
} from './demo-reset.ts'
export { type Env } from './config/env.ts'
export { firstIssue } from './config/first-issue.ts'
export { parseUrlSetting, readUrl, type ReadUrlOptions } from './config/read-url.ts'
export { readPort } from './config/read-port.ts'
export { wholeNumber } from './config/whole-number.ts'
export { parseJson, readJson } from './config/read-json.ts'
export { PrivateJwk, readPrivateJwk } from './config/read-private-jwk.ts'
export { loggedRemoteKeySet, type LoggedRemoteKeySetOptions } from './logged-remote-key-set.ts'
