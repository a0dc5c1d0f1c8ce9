export { createLogger, parseLogLevel, type LogFields, type Logger, type LoggerOptions, type LogLevel } from './logger.ts'
export { oauthErrorResponse, type OAuthErrorResponse, type OAuthErrorResponseOptions } from './oauth-error-response.ts'
export { startOrExit } from './start-or-exit.ts'
export { listen, type ListenOptions, type Listening } from './listen.ts'
