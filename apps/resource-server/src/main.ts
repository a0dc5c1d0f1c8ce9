import { remoteKeySet, type VerifyAccessTokenOptions } from '@ema/tokens'
import { createLogger, describeCause, listen, startOrExit, startOrExitAsync } from '@ema/server-kit'
import { createResourceServerApp } from './app.ts'
import { loadConfig, type ResourceServerConfig } from './config.ts'
import { protectedResourceMetadataUrl } from './protected-resource-metadata.ts'

const { config, authorizationServerKeys } = startOrExit('resource-server', (): { config: ResourceServerConfig; authorizationServerKeys: VerifyAccessTokenOptions['keys'] } => {
  const config = loadConfig(process.env)
  // The authorization server's keys: one cached, rate-limited remote key set for the whole process.
  // During a JWKS outage the last good set keeps serving for an hour (decision 0014).
  return {
    config,
    authorizationServerKeys: remoteKeySet(config.authorizationServer.jwksUri, {
      allowInsecureHttp: config.allowInsecureHttp,
      onStaleKeys: (cause, ageMs) => log.warn('the authorization server JWKS cannot be fetched; using the last good keys', { jwks_uri: config.authorizationServer.jwksUri, age_s: Math.round(ageMs / 1000), cause: describeCause(cause) }),
    }),
  }
})
const log = createLogger({ name: 'resource-server', level: config.logLevel })

if (config.allowInsecureHttp) {
  log.warn('ALLOW_INSECURE_HTTP is ON: access tokens travel over plain HTTP and the AS keys are fetched over plain HTTP. Local demos only.')
}

const app = createResourceServerApp(config, { now: () => new Date(), authorizationServerKeys, log })

await startOrExitAsync('resource-server', () => listen({ port: config.port }, app)) // EADDRINUSE → one line
log.info(`MCP server ${config.resourceName} ready at ${config.resource}`, {
  as_issuer: config.authorizationServer.issuer,
  as_jwks_uri: config.authorizationServer.jwksUri,
  protected_resource_metadata: protectedResourceMetadataUrl(config.resource),
})
