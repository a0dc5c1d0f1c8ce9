import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { CLIENT_ASSERTION_TYPE, generateSigningKey, TOKEN_TYPE } from '@ema/tokens'
import { decodeJwt, importJWK, jwtVerify } from 'jose'
import type { ClientRegistration } from '../src/client-registration.ts'
import { chooseClientAuthMethod } from '../src/choose-client-auth-method.ts'
import { applyClientAuthentication } from '../src/client-authentication.ts'
import { FlowError } from '../src/flow-error.ts'
import { requestIdJag } from '../src/request-id-jag.ts'
import type { Exchange } from '../src/record-traffic.ts'
import { fakeJwt, startFakeServer, type FakeServer } from '@ema/test-kit'
import { recordedFetch } from './support/recorded-fetch.ts'

const TARGET = { name: 'Test AS', tokenEndpoint: 'https://as.example/token', issuer: 'https://as.example' }

describe('applyClientAuthentication', () => {
  test('CL-27 `none` identifies the client by client_id in the body and sends no secret and no Authorization header', async () => {
    const headers = new Headers({ authorization: 'Basic c3RhbGU6c3RhbGU=' })
    const params = new URLSearchParams({ grant_type: 'x', client_secret: 'stale' })
    const applied = await applyClientAuthentication(
      { clientId: 'conformance-test-idp-client', authMethod: 'none' },
      TARGET,
      headers,
      params,
    )
    assert.equal(applied.method, 'none')
    assert.equal(headers.get('authorization'), null)
    assert.equal(params.get('client_id'), 'conformance-test-idp-client')
    assert.equal(params.has('client_secret'), false)
    assert.equal(params.get('grant_type'), 'x')
  })

  test('CL-27 CL-37 client_secret_basic still form-encodes id and secret into the Basic header', async () => {
    const headers = new Headers()
    const params = new URLSearchParams()
    await applyClientAuthentication(
      { clientId: 'a b', clientSecret: 's:ecret', authMethod: 'client_secret_basic' },
      TARGET,
      headers,
      params,
    )
    assert.equal(headers.get('authorization'), `Basic ${Buffer.from('a+b:s%3Aecret').toString('base64')}`)
    assert.equal(params.has('client_id'), false)
  })

  test('CL-28 private_key_jwt sends a fresh signed assertion: iss = sub = client_id, aud = the issuer, unique jti, 60 s exp; no secret', async () => {
    const key = await generateSigningKey('ES256')
    const client = { clientId: 'acme-agent-cli-tasks', privateJwk: key.privateJwk, clientSecret: 'also-held' }
    const first = {
      headers: new Headers({ authorization: 'Basic stale' }),
      params: new URLSearchParams({ client_secret: 'stale' }),
    }
    const second = { headers: new Headers(), params: new URLSearchParams() }
    const methods = ['private_key_jwt', 'client_secret_basic']
    const applied = await applyClientAuthentication(
      client,
      { ...TARGET, authMethodsSupported: methods },
      first.headers,
      first.params,
    )
    await applyClientAuthentication(client, { ...TARGET, authMethodsSupported: methods }, second.headers, second.params)
    assert.equal(applied.method, 'private_key_jwt') // the strongest held method the server lists
    // RFC 6749 §2.3: exactly one method per request.
    assert.equal(first.headers.get('authorization'), null)
    assert.equal(first.params.has('client_secret'), false)
    assert.equal(first.params.get('client_id'), 'acme-agent-cli-tasks')
    assert.equal(first.params.get('client_assertion_type'), CLIENT_ASSERTION_TYPE.JWT_BEARER)
    const assertion = first.params.get('client_assertion') ?? ''
    const { payload, protectedHeader } = await jwtVerify(assertion, await importJWK(key.publicJwk, 'ES256'), {
      audience: TARGET.issuer,
    })
    assert.equal(protectedHeader.kid, key.kid)
    assert.equal(payload.iss, 'acme-agent-cli-tasks')
    assert.equal(payload.sub, 'acme-agent-cli-tasks')
    assert.equal(payload.aud, TARGET.issuer)
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 60)
    assert.equal(typeof payload.jti, 'string')
    const again = decodeJwt(second.params.get('client_assertion') ?? '')
    assert.notEqual(again.jti, payload.jti) // a replayed assertion is refused by the server, so never reuse one
  })

  test('CL-28 private_key_jwt without a known issuer uses the token endpoint as aud (RFC 7523 §3)', async () => {
    const key = await generateSigningKey('ES256')
    const params = new URLSearchParams()
    await applyClientAuthentication(
      { clientId: 'c', privateJwk: key.privateJwk },
      { name: 'IdP', tokenEndpoint: 'https://idp.example/token', authMethodsSupported: ['private_key_jwt'] },
      new Headers(),
      params,
    )
    assert.equal(decodeJwt(params.get('client_assertion') ?? '').aud, 'https://idp.example/token')
  })
})

describe('chooseClientAuthMethod (CL-27, CL-28, CL-37)', () => {
  const secret = { clientId: 'c', clientSecret: 's' }
  const keyOnly = { clientId: 'c', privateJwk: { kty: 'EC', d: 'x', alg: 'ES256' } }
  const both = { ...secret, privateJwk: keyOnly.privateJwk }
  const rows: Array<{
    name: string
    client: ClientRegistration
    supported: string[] | undefined
    method?: string
    refused?: RegExp
  }> = [
    {
      name: 'a secret and no metadata list: client_secret_basic, the RFC 8414 default',
      client: secret,
      supported: undefined,
      method: 'client_secret_basic',
    },
    {
      name: 'a secret, server lists basic and post: basic',
      client: secret,
      supported: ['client_secret_post', 'client_secret_basic'],
      method: 'client_secret_basic',
    },
    {
      name: 'a secret, server lists only post: post',
      client: secret,
      supported: ['client_secret_post'],
      method: 'client_secret_post',
    },
    {
      name: 'a key and a secret, server lists private_key_jwt: private_key_jwt (CL-28)',
      client: both,
      supported: ['client_secret_basic', 'private_key_jwt'],
      method: 'private_key_jwt',
    },
    {
      name: 'a key and a secret, server lists only secrets: basic',
      client: both,
      supported: ['client_secret_basic'],
      method: 'client_secret_basic',
    },
    {
      name: 'a key only, no metadata list (default basic): refused',
      client: keyOnly,
      supported: undefined,
      refused: /holds credentials for private_key_jwt.*supports only client_secret_basic \(the RFC 8414 default/,
    },
    {
      name: 'a secret only, server lists only private_key_jwt: refused',
      client: secret,
      supported: ['private_key_jwt'],
      refused: /supports only private_key_jwt/,
    },
    {
      name: 'pinned post, server lists post: post, even with a key',
      client: { ...both, authMethod: 'client_secret_post' },
      supported: ['private_key_jwt', 'client_secret_post'],
      method: 'client_secret_post',
    },
    {
      name: 'pinned private_key_jwt, server lists only basic: refused',
      client: { ...both, authMethod: 'private_key_jwt' },
      supported: ['client_secret_basic'],
      refused: /registered at Test AS for private_key_jwt, but Test AS supports only client_secret_basic/,
    },
    {
      name: 'pinned private_key_jwt, metadata lists no methods: the registration wins over the RFC 8414 default',
      client: { ...keyOnly, authMethod: 'private_key_jwt' },
      supported: undefined,
      method: 'private_key_jwt',
    },
    {
      name: 'pinned private_key_jwt without a key: refused',
      client: { ...secret, authMethod: 'private_key_jwt' },
      supported: ['private_key_jwt'],
      refused: /holds no private key/,
    },
    {
      name: 'no credential at all: refused',
      client: { clientId: 'c' },
      supported: ['client_secret_basic'],
      refused: /holds no credential/,
    },
  ]
  for (const row of rows) {
    test(row.name, () => {
      const server = { name: 'Test AS', authMethodsSupported: row.supported }
      if (row.refused !== undefined) {
        assert.throws(
          () => chooseClientAuthMethod(row.client, server),
          (error: unknown) =>
            error instanceof FlowError &&
            error.error === 'unsupported_client_authentication' &&
            row.refused!.test(error.message),
        )
      } else {
        assert.equal(chooseClientAuthMethod(row.client, server).method, row.method)
      }
    })
  }
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

  test('CL-27 sends client_id and no credential on the wire, and the recorded traffic shows the same', async () => {
    const exchanges: Exchange[] = []
    const result = await requestIdJag({
      tokenEndpoint: `${idp.url}/token`,
      subjectToken: fakeJwt({ alg: 'ES256' }, { sub: 'u' }),
      audience: 'http://localhost:4002',
      resource: 'http://localhost:4003/mcp',
      client: { clientId: 'conformance-test-idp-client', authMethod: 'none' },
      fetch: recordedFetch(exchanges),
      allowInsecureHttp: true,
    })
    assert.equal(result.assertion, ID_JAG)
    const received = idp.received[0]!
    assert.equal(received.headers.authorization, undefined)
    assert.equal(received.body.client_id, 'conformance-test-idp-client')
    assert.equal('client_secret' in received.body, false)
    assert.equal(exchanges[0]?.request.params?.client_id, 'conformance-test-idp-client')
    assert.equal(exchanges[0]?.request.headers.authorization, undefined)
  })
})
