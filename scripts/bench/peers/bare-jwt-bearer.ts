// A benchmark peer: a bare oidc-provider with a minimal custom jwt-bearer grant, served by
// `provider.callback()` on node:http with nothing in front. It does the same cryptographic work as our
// authorization server's redemption (ES256 verification of the ID-JAG with the IdP's cached remote
// JWKS, ES256 signing of an RFC 9068 access token) and fewer checks: no replay store, no resource or
// scope rules, no client binding. It is a yardstick, not a product; it never runs outside `npm run bench`.
//
// Env: PEER_PORT, PEER_ISSUER, IDP_ISSUER, IDP_JWKS_URI, ID_JAG_AUDIENCE (the `aud` the ID-JAGs carry),
// PEER_CLIENT_ID, PEER_CLIENT_SECRET.
import { createServer } from 'node:http'
import { randomUUID } from 'node:crypto'
import Provider, { errors } from 'oidc-provider'
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose'
import { peerEnv } from './peer-env.ts'

const env = peerEnv([
  'PEER_PORT',
  'PEER_ISSUER',
  'IDP_ISSUER',
  'IDP_JWKS_URI',
  'ID_JAG_AUDIENCE',
  'PEER_CLIENT_ID',
  'PEER_CLIENT_SECRET',
])
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const { privateKey } = await generateKeyPair('ES256', { extractable: true })
const idpKeys = createRemoteJWKSet(new URL(env.IDP_JWKS_URI))

const provider = new Provider(env.PEER_ISSUER, {
  clients: [
    {
      client_id: env.PEER_CLIENT_ID,
      client_secret: env.PEER_CLIENT_SECRET,
      grant_types: [JWT_BEARER],
      redirect_uris: [],
      response_types: [],
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'peer' }] },
  features: { devInteractions: { enabled: false } },
  renderError(ctx, out) {
    ctx.type = 'application/json'
    ctx.body = out
  },
})
provider.registerGrantType(
  JWT_BEARER,
  async (ctx) => {
    const assertion = ctx.oidc.params?.['assertion']
    if (typeof assertion !== 'string') throw new errors.InvalidRequest('assertion is required')
    let claims: Record<string, unknown>
    try {
      ;({ payload: claims } = await jwtVerify(assertion, idpKeys, {
        issuer: env.IDP_ISSUER,
        audience: env.ID_JAG_AUDIENCE,
        typ: 'oauth-id-jag+jwt',
        algorithms: ['ES256'],
      }))
    } catch {
      throw new errors.InvalidGrant('the assertion is not valid')
    }
    const scope = typeof claims['scope'] === 'string' ? claims['scope'] : ''
    const now = Math.floor(Date.now() / 1000)
    const accessToken = await new SignJWT({ client_id: ctx.oidc.client?.clientId, scope })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'peer' })
      .setIssuer(env.PEER_ISSUER)
      .setSubject(String(claims['sub']))
      .setAudience(String(claims['resource']))
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .setJti(randomUUID())
      .sign(privateKey)
    ctx.set('cache-control', 'no-store')
    ctx.body = { access_token: accessToken, token_type: 'Bearer', expires_in: 600, scope }
  },
  ['assertion', 'scope', 'resource'],
)

createServer(provider.callback()).listen(Number(env.PEER_PORT), 'localhost')
