import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { GRANT_TYPE, TOKEN_TYPE } from '@ema/tokens'
import type { ClientRegistration } from '../src/client-registration.ts'
import { FlowError } from '../src/flow-error.ts'
import { requestIdJag } from '../src/request-id-jag.ts'
import type { Exchange } from '../src/record-traffic.ts'
import { decodeBasic, fakeJwt, startFakeServer, type FakeServer } from '@ema/test-kit'
import { recordedFetch } from './support/recorded-fetch.ts'

const ID_TOKEN = fakeJwt({ alg: 'ES256' }, { iss: 'http://localhost:4001', sub: 'u-1001' })
const ID_JAG = fakeJwt(
  { alg: 'ES256', typ: 'oauth-id-jag+jwt' },
  { iss: 'http://localhost:4001', sub: 'u-1001', aud: 'http://localhost:4002', client_id: 'acme-agent-tasks' },
)
const basicClient: ClientRegistration = {
  clientId: 'acme-agent',
  clientSecret: 'acme agent/idp:secret',
  authMethod: 'client_secret_basic',
}

describe('requestIdJag', () => {
  let idp: FakeServer
  let reply: { status: number; body: Record<string, unknown> }

  before(async () => {
    idp = await startFakeServer()
    idp.app.post('/token', (_req, res) => {
      res.status(reply.status).json(reply.body)
    })
  })
  beforeEach(() => {
    idp.received.length = 0
    reply = {
      status: 200,
      body: {
        access_token: ID_JAG,
        issued_token_type: TOKEN_TYPE.ID_JAG,
        token_type: 'N_A',
        expires_in: 300,
        scope: 'tasks.read',
      },
    }
  })
  after(() => idp.close())

  const request = (client: ClientRegistration = basicClient, exchanges: Exchange[] = []) =>
    requestIdJag({
      tokenEndpoint: `${idp.url}/token`,
      subjectToken: ID_TOKEN,
      audience: 'http://localhost:4002',
      resource: 'http://localhost:4003/mcp',
      scope: 'tasks.read tasks.write',
      client,
      authMethodsSupported: ['client_secret_basic', 'client_secret_post'],
      fetch: recordedFetch(exchanges),
      allowInsecureHttp: true,
      idpName: 'Acme SSO',
    })

  test('CL-17 CL-18 CL-19 CL-20 CL-21 CL-22 CL-24 CL-25 CL-26 sends exactly the token exchange parameters, form-encoded', async () => {
    const result = await request()
    assert.equal(result.assertion, ID_JAG)
    assert.equal(idp.received.length, 1)
    const received = idp.received[0]!
    assert.equal(received.method, 'POST')
    assert.match(String(received.headers['content-type']), /^application\/x-www-form-urlencoded/)
    assert.deepEqual(received.body, {
      grant_type: GRANT_TYPE.TOKEN_EXCHANGE,
      requested_token_type: TOKEN_TYPE.ID_JAG,
      audience: 'http://localhost:4002',
      resource: 'http://localhost:4003/mcp',
      scope: 'tasks.read tasks.write',
      subject_token: ID_TOKEN,
      subject_token_type: TOKEN_TYPE.ID_TOKEN,
    })
  })

  test('CL-27 authenticates with client_secret_basic (form-encoded id and secret)', async () => {
    await request()
    assert.deepEqual(decodeBasic(idp.received[0]!.headers.authorization), {
      id: 'acme-agent',
      secret: 'acme agent/idp:secret',
    })
  })

  test('CL-27 authenticates with client_secret_post when configured', async () => {
    await request({ ...basicClient, authMethod: 'client_secret_post' })
    const received = idp.received[0]!
    assert.equal(received.headers.authorization, undefined)
    assert.equal(received.body.client_id, 'acme-agent')
    assert.equal(received.body.client_secret, 'acme agent/idp:secret')
  })

  test('CL-30 refuses a response whose issued_token_type is not id-jag', async () => {
    reply.body.issued_token_type = TOKEN_TYPE.ACCESS_TOKEN
    await assert.rejects(request(), (error: unknown) => {
      assert.ok(error instanceof FlowError)
      assert.match(error.message, /instead of an ID-JAG/)
      return true
    })
  })

  test('CL-30 accepts token_type n_a case-insensitively and refuses Bearer', async () => {
    reply.body.token_type = 'n_a'
    await request()
    reply.body.token_type = 'Bearer'
    await assert.rejects(request(), /token_type "Bearer"/)
  })

  test('CL-30 refuses a response that carries a refresh_token', async () => {
    reply.body.refresh_token = 'rt-123'
    await assert.rejects(request(), /refresh token/)
  })

  test('CL-31 a response without scope means the requested scope was granted', async () => {
    delete reply.body.scope
    assert.equal((await request()).scope, 'tasks.read tasks.write')
  })

  test('CL-35 surfaces the IdP access_denied code in plain words', async () => {
    reply = { status: 400, body: { error: 'access_denied', error_description: 'policy does not allow carol' } }
    await assert.rejects(request(), (error: unknown) => {
      assert.ok(error instanceof FlowError)
      assert.equal(error.error, 'access_denied')
      assert.equal(error.message, 'Acme SSO refused to issue an ID-JAG: policy does not allow carol')
      return true
    })
  })

  test('CL-34 the recorded traffic keeps the decoded ID-JAG but never a token or secret in full', async () => {
    const exchanges: Exchange[] = []
    await request(basicClient, exchanges)
    const shown = JSON.stringify(exchanges)
    assert.ok(!shown.includes(ID_TOKEN), 'ID token leaked into the traffic')
    assert.ok(!shown.includes(ID_JAG), 'ID-JAG leaked into the traffic')
    assert.ok(
      !shown.includes(Buffer.from('acme-agent:acme+agent%2Fidp%3Asecret').toString('base64')),
      'client secret leaked',
    )
    assert.equal(exchanges.length, 1)
    assert.equal((exchanges[0]?.response?.jwts?.access_token?.header as { typ: string }).typ, 'oauth-id-jag+jwt')
  })
})
