import { generateSigningKey, importSigningKey, InMemoryReplayStore, remoteKeySet, type IssuerKeys } from '@ema/tokens'
import { readFileSync } from 'node:fs'
import { createLogger, describeCause, listen, listenTls, startOrExit, startOrExitAsync } from '@ema/server-kit'
import type { JWTVerifyGetKey } from 'jose'
import { loadConfig, type AuthorizationServerConfig } from './config.ts'
import { createAuthorizationServerApp } from './app.ts'

const config: AuthorizationServerConfig = startOrExit('authorization-server', () => loadConfig(process.env))
const log = createLogger({ name: 'authorization-server', level: config.logLevel })

if (config.allowInsecureHttp) {
  log.warn('!!! ALLOW_INSECURE_HTTP is ON: tokens and client secrets travel over plain HTTP. Local demos only. !!!')
}

if (config.demoAttacks) {
  log.warn('!!! AS_DEMO_ATTACKS is ON: a second MCP server and the client "other-agent" (secret in the source) are registered for the client app\'s "Break it" demo. Local demos only. !!!')
}

const signingKey = await startOrExitAsync('authorization-server', () => config.signingKey !== undefined
  ? importSigningKey(config.signingKey, 'configured') // a malformed AS_SIGNING_KEY is one line, not a stack trace
  : generateSigningKey('ES256'))
if (signingKey.source === 'ephemeral') {
  log.warn('!!! No AS_SIGNING_KEY configured: using a freshly generated ES256 key. Every restart invalidates all issued access tokens. !!!', { kid: signingKey.kid })
}

// AS-13, AS-15, AS-16: one cached key set per trusted IdP, built once at start-up. During a JWKS
// outage the last good set keeps serving for an hour (decision 0014); the first use is logged.
const keySets = new Map<string, JWTVerifyGetKey>(
  config.trustedIdps.map((idp) => [idp.issuer, remoteKeySet(idp.jwks_uri, {
    allowInsecureHttp: config.allowInsecureHttp,
    onStaleKeys: (cause, ageMs) => log.warn('the IdP JWKS cannot be fetched; using the last good keys', { idp: idp.issuer, jwks_uri: idp.jwks_uri, age_s: Math.round(ageMs / 1000), cause: describeCause(cause) }),
  })]),
)
const issuerKeys: IssuerKeys = (issuer) => keySets.get(issuer)

const app = createAuthorizationServerApp(config, {
  now: () => new Date(),
  signingKey,
  issuerKeys,
  replayStore: new InMemoryReplayStore(),
  log,
})
await startOrExitAsync('authorization-server', () => listen({ port: config.port }, app)) // EADDRINUSE → one line
// RFC 8705 §5: the mTLS endpoint alias, the same app over HTTPS, asking every client for a certificate.
const { mtls } = config
if (mtls !== undefined) {
  const pem = startOrExit('authorization-server', () => ({
    cert: readPem(mtls.certFile, 'AS_MTLS_CERT_FILE'),
    key: readPem(mtls.keyFile, 'AS_MTLS_KEY_FILE'),
    clientCa: readPem(mtls.caFile, 'AS_MTLS_CA_FILE'),
  }))
  await startOrExitAsync('authorization-server', () => listenTls({ port: mtls.port, ...pem }, app))
  log.info(`mTLS endpoint alias ready at ${mtls.url}/token (RFC 8705 tls_client_auth)`, { ca: mtls.caFile })
}
log.info(`MCP authorization server ready at ${config.issuer}`, {
  trusted_idps: config.trustedIdps.map((idp) => idp.issuer),
  mcp_servers: config.mcpServers.map((server) => server.resource),
  clients: config.clients.map((client) => client.client_id),
  downstream_apis: config.downstreamApis.map((api) => api.identifier),
})

/** A PEM file named by configuration; a missing or unreadable one is one clear start-up line. */
function readPem(file: string, name: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (cause) {
    throw new TypeError(`${name} ${file} cannot be read (${describeCause(cause)}); npm start makes the demo PKI in .demo/pki/`)
  }
}
