import { createLogger, listen, startOrExit, startOrExitAsync } from '@ema/server-kit'
import { createClientApp } from './app.ts'
import { type ClientConfig, loadConfig } from './config.ts'

// The only file that reads process.env.
const config: ClientConfig = startOrExit('client', () => loadConfig(process.env)) // one line, not a stack trace
const log = createLogger({ name: 'client', level: config.logLevel })
if (config.allowInsecureHttp) {
  log.warn(
    'allowInsecureHttp is ON: ID tokens, ID-JAGs, access tokens and client secrets travel over plain HTTP. Local demos only.',
  )
}
const app = createClientApp(config, { fetch: globalThis.fetch, now: () => new Date(), log })
await startOrExitAsync('client', () => listen({ port: config.port }, app)) // EADDRINUSE → one line
log.info(`Acme Agent ready at ${config.clientUrl}`)
