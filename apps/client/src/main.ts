import { createLogger, listen } from '@ema/server-kit'
import { createClientApp } from './app.ts'
import { type ClientConfig, loadConfig } from './config.ts'

// The only file that reads process.env.
let config: ClientConfig
try {
  config = loadConfig(process.env)
} catch (error) {
  // A configuration mistake is one line, not a stack trace.
  createLogger({ name: 'client' }).error(`cannot start: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
}
const log = createLogger({ name: 'client', level: config.logLevel })
if (config.allowInsecureHttp) {
  log.warn('allowInsecureHttp is ON: ID tokens, ID-JAGs, access tokens and client secrets travel over plain HTTP. Local demos only.')
}
const app = createClientApp(config, { fetch: globalThis.fetch, now: () => new Date(), log })
await listen({ port: config.port }, app)
log.info(`Acme Agent ready at ${config.clientUrl}`)
