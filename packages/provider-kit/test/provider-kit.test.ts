import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import express from 'express'
import Provider from 'oidc-provider'
import { createLogger, listen, type Listening } from '@ema/server-kit'
import { generateSigningKey, InvalidGrantError, WELL_KNOWN } from '@ema/tokens'
import { authorizationServerMetadataRoute, requireClientAuthentication, respondToGrant } from '../src/index.ts'

const GRANT = 'urn:example:params:oauth:grant-type:test'
const lines: string[] = []
const log = createLogger({ name: 'test', level: 'debug', write: (line) => lines.push(line) })
let server: Listening

before(async () => {
  server = await listen({ port: 0 })
  const key = await generateSigningKey()
  const provider = new Provider(server.url, {
    jwks: { keys: [key.privateJwk] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    clients: [
      {
        client_id: 'c1',
        client_secret: 's1',
        grant_types: [GRANT],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    features: { devInteractions: { enabled: false } },
  })
  provider.use(requireClientAuthentication(log))
  provider.registerGrantType(
    GRANT,
    (ctx) =>
      respondToGrant(
        ctx,
        () => log,
        async () => {
          if (ctx.oidc.params?.outcome === 'refuse') throw new InvalidGrantError('the test grant was refused')
          if (ctx.oidc.params?.outcome === 'crash') throw new Error('secret internals')
          return { access_token: 'opaque', token_type: 'Bearer' }
        },
      ),
    ['outcome'],
  )
  const handler = provider.callback()
  const app = express()
  app.get(WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER, authorizationServerMetadataRoute(handler))
  app.use(handler)
  server.server.on('request', app)
})
after(() => server.close())

const basic = `Basic ${Buffer.from('c1:s1').toString('base64')}`
function token(form: Record<string, string>, headers: Record<string, string> = { authorization: basic }) {
  return fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ grant_type: GRANT, ...form }),
  })
}

test('IDP-28 AS-35 a grant answer is 200 JSON with no-store and no-cache', async () => {
  const res = await token({})
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('cache-control'), 'no-store')
  assert.equal(res.headers.get('pragma'), 'no-cache')
  assert.deepEqual(await res.json(), { access_token: 'opaque', token_type: 'Bearer' })
})

test("IDP-51 a refusal keeps our error code and description, not oidc-provider's generic one", async () => {
  const res = await token({ outcome: 'refuse' })
  assert.equal(res.status, 400)
  assert.equal(res.headers.get('cache-control'), 'no-store')
  assert.deepEqual(await res.json(), { error: 'invalid_grant', error_description: 'the test grant was refused' })
})

test('an unexpected failure is a 500 server_error that does not reveal its cause', async () => {
  const res = await token({ outcome: 'crash' })
  assert.equal(res.status, 500)
  const body = (await res.json()) as { error: string }
  assert.equal(body.error, 'server_error')
  assert.ok(!JSON.stringify(body).includes('secret internals'))
})

test('IDP-09 IDP-57 AS-08 a token request without any client authentication is 401 invalid_client', async () => {
  const res = await token({}, {})
  assert.equal(res.status, 401)
  assert.deepEqual(await res.json(), {
    error: 'invalid_client',
    error_description: 'client authentication is required',
  })
})

test("AS-08 a wrong secret stays oidc-provider's own 401 invalid_client", async () => {
  const res = await token({}, { authorization: `Basic ${Buffer.from('c1:wrong').toString('base64')}` })
  assert.equal(res.status, 401)
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_client')
})

test("AS-01 IDP-01 RFC 8414 metadata is the provider's discovery document", async () => {
  const [rfc8414, oidc] = await Promise.all([
    fetch(`${server.url}${WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER}`).then(
      (r) => r.json() as Promise<{ issuer: string; grant_types_supported: string[] }>,
    ),
    fetch(`${server.url}${WELL_KNOWN.OPENID_CONFIGURATION}`).then((r) => r.json()),
  ])
  assert.equal(rfc8414.issuer, server.url)
  assert.deepEqual(rfc8414, oidc)
  assert.ok(rfc8414.grant_types_supported.includes(GRANT))
})
