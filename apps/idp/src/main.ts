import { createLogger, listen, startOrExit, startOrExitAsync } from '@ema/server-kit'
import { generateSigningKey, importSigningKey } from '@ema/tokens'
import { createIdpApp } from './app.ts'
import { loadConfig, type IdpConfig } from './config.ts'

// The only file that reads process.env.
// A configuration mistake (for example an AGENT_CLI_JWKS holding a private key) is one line, not a stack trace.
const config: IdpConfig = startOrExit('idp', () => loadConfig(process.env))
const log = createLogger({ name: 'idp', level: config.logLevel })

if (config.allowInsecureHttp) {
  log.warn('ALLOW_INSECURE_HTTP is ON: ID tokens, ID-JAGs and client secrets travel over plain HTTP. Local demos only.')
}
if (config.demoAttacks) {
  log.warn('!!! IDP_DEMO_ATTACKS is ON: ID-JAGs for a partner authorization server and a second MCP server, and already-expired ID-JAGs on request (demo_expired), for the client app\'s "Break it" demo. Local demos only. !!!')
}
const signingKey = await startOrExitAsync('idp', () => config.signingKeyJwk === undefined
  ? generateSigningKey('ES256')
  : importSigningKey(config.signingKeyJwk, 'configured')) // a malformed IDP_SIGNING_KEY is one line, not a stack trace
if (signingKey.source === 'ephemeral') {
  log.warn('!!! USING A FRESHLY GENERATED SIGNING KEY (set IDP_SIGNING_KEY to a private JWK). Every restart invalidates all issued ID tokens and ID-JAGs. !!!', { kid: signingKey.kid })
}
if (config.cookieKeysSource === 'ephemeral') {
  log.warn('Using random cookie keys (set IDP_COOKIE_KEYS): sign-in sessions end when the IdP restarts.')
}

const app = createIdpApp(config, { signingKey, now: () => new Date(), log })
await startOrExitAsync('idp', () => listen({ port: config.port }, app)) // EADDRINUSE → one line
log.info(`Acme SSO (IdP) ready at ${config.issuer}`, { kid: signingKey.kid, clients: config.clients.map((client) => client.client_id) })
