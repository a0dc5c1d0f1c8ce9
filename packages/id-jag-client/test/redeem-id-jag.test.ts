import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { GRANT_TYPE } from '@ema/tokens'
import type { ClientRegistration } from '../src/client-registration.ts'
import { FlowError } from '../src/flow-error.ts'
import { IdJagOAuthClientProvider } from '../src/id-jag-oauth-client-provider.ts'
import { redeemIdJag } from '../src/redeem-id-jag.ts'
import { decodeBasic, fakeJwt, startFakeServer, type FakeServer } from '@ema/test-kit'

const ID_JAG = fakeJwt({ alg: 'ES256', typ: 'oauth-id-jag+jwt' }, { sub: 'u-1001', client_id: 'acme-agent-tasks' })
const ACCESS_TOKEN = fakeJwt({ alg: 'ES256', typ: 'at+jwt' }, { sub: 'u-1001', scope: 'tasks.read' })
const asClient: ClientRegistration = {
  clientId: 'acme-agent-tasks',
  clientSecret: 'acme-agent-as-secret',
  authMethod: 'client_secret_basic',
}

describe('redeemIdJag', () => {
  let as: FakeServer
  let reply: { status: number; body: Record<string, unknown> }

  before(async () => {
    as = await startFakeServer()
    as.app.post('/token', (_req, res) => {
      res.status(reply.status).json(reply.body)
    })
  })
  beforeEach(() => {
    as.received.length = 0
    reply = {
      status: 200,
      body: { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 600, scope: 'tasks.read' },
    }
  })
  after(() => as.close())

  /** The one redemption path: the provider (a fresh ID-JAG, client authentication) with the SDK's fetchToken. */
  const redeem = (client = asClient) => {
    const provider = new IdJagOAuthClientProvider({
      authorizationServer: as.url,
      resource: 'http://localhost:4003/mcp',
      client,
      scope: 'tasks.read',
      obtainIdJag: async () => ID_JAG,
    })
    const authorizationServer = {
      issuer: as.url,
      token_endpoint: `${as.url}/token`,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    }
    return redeemIdJag(provider, { authorizationServer, fetch })
  }

  test('CL-36 CL-39 CL-40 sends grant_type jwt-bearer, exactly one assertion, resource and scope', async () => {
    const tokens = await redeem()
    assert.equal(tokens.access_token, ACCESS_TOKEN)
    const received = as.received[0]!
    assert.equal(received.method, 'POST')
    assert.match(String(received.headers['content-type']), /^application\/x-www-form-urlencoded/)
    assert.deepEqual(received.body, {
      grant_type: GRANT_TYPE.JWT_BEARER,
      assertion: ID_JAG,
      resource: 'http://localhost:4003/mcp',
      scope: 'tasks.read',
    })
  })

  test('CL-37 authenticates with the registration at the MCP authorization server', async () => {
    await redeem()
    assert.deepEqual(decodeBasic(as.received[0]!.headers.authorization), {
      id: 'acme-agent-tasks',
      secret: 'acme-agent-as-secret',
    })
    as.received.length = 0
    await redeem({ ...asClient, authMethod: 'client_secret_post' })
    assert.equal(as.received[0]!.body.client_id, 'acme-agent-tasks')
    assert.equal(as.received[0]!.body.client_secret, 'acme-agent-as-secret')
  })

  test('CL-36 surfaces invalid_grant from the authorization server', async () => {
    reply = { status: 400, body: { error: 'invalid_grant', error_description: 'the ID-JAG was already used' } }
    await assert.rejects(
      redeem(),
      (error: unknown) =>
        error instanceof FlowError &&
        error.error === 'invalid_grant' &&
        /already used/.test(error.message) &&
        error.refusedBy === 'authorization_server',
    )
  })

  test('CL-42 refuses a token that is not a Bearer token', async () => {
    reply = { status: 200, body: { access_token: ACCESS_TOKEN, token_type: 'DPoP', expires_in: 600 } }
    await assert.rejects(
      redeem(),
      (error: unknown) =>
        error instanceof FlowError && error.error === 'invalid_response' && /only sends Bearer/.test(error.message),
    )
  })
})
