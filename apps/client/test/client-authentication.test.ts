import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { TOKEN_TYPE } from '@ema/tokens'
import { applyClientAuthentication } from '../src/flow/client-authentication.ts'
import { requestIdJag } from '../src/flow/request-id-jag.ts'
import type { Step } from '../src/flow/step.ts'
import { fakeJwt, startFakeServer, type FakeServer } from './support/fake-server.ts'

describe('applyClientAuthentication', () => {
  test('CL-27 `none` identifies the client by client_id in the body and sends no secret and no Authorization header', () => {
    const headers = new Headers({ authorization: 'Basic c3RhbGU6c3RhbGU=' })
    const params = new URLSearchParams({ grant_type: 'x', client_secret: 'stale' })
    applyClientAuthentication({ clientId: 'conformance-test-idp-client', authMethod: 'none' }, headers, params)
    assert.equal(headers.get('authorization'), null)
    assert.equal(params.get('client_id'), 'conformance-test-idp-client')
    assert.equal(params.has('client_secret'), false)
    assert.equal(params.get('grant_type'), 'x')
  })

  test('CL-27 CL-37 client_secret_basic still form-encodes id and secret into the Basic header', () => {
    const headers = new Headers()
    const params = new URLSearchParams()
    applyClientAuthentication({ clientId: 'a b', clientSecret: 's:ecret', authMethod: 'client_secret_basic' }, headers, params)
    assert.equal(headers.get('authorization'), `Basic ${Buffer.from('a+b:s%3Aecret').toString('base64')}`)
    assert.equal(params.has('client_id'), false)
  })
})

describe('requestIdJag with a public IdP identification', () => {
  let idp: FakeServer
  const ID_JAG = fakeJwt({ alg: 'ES256', typ: 'oauth-id-jag+jwt' }, { sub: 'u' })

  before(async () => {
    idp = await startFakeServer()
    idp.app.post('/token', (_req, res) => {
      res.json({ access_token: ID_JAG, issued_token_type: TOKEN_TYPE.ID_JAG, token_type: 'N_A' })
    })
  })
  after(() => idp.close())

  test('CL-27 sends client_id and no credential on the wire, and the step shows none', async () => {
    const steps: Step[] = []
    const result = await requestIdJag({
      tokenEndpoint: `${idp.url}/token`,
      subjectToken: fakeJwt({ alg: 'ES256' }, { sub: 'u' }),
      audience: 'http://localhost:4002',
      resource: 'http://localhost:4003/mcp',
      client: { clientId: 'conformance-test-idp-client', authMethod: 'none' },
      fetch,
      allowInsecureHttp: true,
      record: (step) => steps.push(step),
    })
    assert.equal(result.idJag, ID_JAG)
    const received = idp.received[0]!
    assert.equal(received.headers.authorization, undefined)
    assert.equal(received.body.client_id, 'conformance-test-idp-client')
    assert.equal('client_secret' in received.body, false)
    assert.equal(steps[0]?.request?.params?.client_id, 'conformance-test-idp-client')
  })
})
