// A benchmark peer: oidc-provider's own client_credentials grant issuing JWT (ES256) access tokens for
// one resource, served by `provider.callback()` on node:http with nothing in front. The least work a
// token endpoint of this library does: client authentication, and one signature. Never runs outside
// `npm run bench`.
//
// Env: PEER_PORT, PEER_ISSUER, PEER_RESOURCE, PEER_CLIENT_ID, PEER_CLIENT_SECRET.
import { createServer } from 'node:http'
import Provider from 'oidc-provider'
import { exportJWK, generateKeyPair } from 'jose'
import { peerEnv } from './peer-env.ts'

const env = peerEnv(['PEER_PORT', 'PEER_ISSUER', 'PEER_RESOURCE', 'PEER_CLIENT_ID', 'PEER_CLIENT_SECRET'])
const { privateKey } = await generateKeyPair('ES256', { extractable: true })
const signingKey = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'peer' }

const provider = new Provider(env.PEER_ISSUER, {
  clients: [
    {
      client_id: env.PEER_CLIENT_ID,
      client_secret: env.PEER_CLIENT_SECRET,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [signingKey] },
  ttl: { ClientCredentials: 600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => env.PEER_RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'tasks.read tasks.write',
        audience: env.PEER_RESOURCE,
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  renderError(ctx, out) {
    ctx.type = 'application/json'
    ctx.body = out
  },
})

createServer(provider.callback()).listen(Number(env.PEER_PORT), 'localhost')
