import { createLogger, listen } from '@ema/server-kit'
import { createClientApp } from './app.ts'
import { loadConfig } from './config.ts'

// The only file that reads process.env.
const log = createLogger({ name: 'client' })
const config = loadConfig(process.env)
if (config.allowInsecureHttp) {
  log.warn('allowInsecureHttp is ON: ID tokens, ID-JAGs, access tokens and client secrets travel over plain HTTP. Local demos only.')
}
const app = createClientApp(config, { fetch: globalThis.fetch, now: () => new Date(), log })
await listen({ port: config.port }, app)
log.info(`Acme Agent ready at ${config.clientUrl}`)
