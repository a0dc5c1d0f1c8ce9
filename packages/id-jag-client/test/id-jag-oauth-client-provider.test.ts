import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { auth } from '@modelcontextprotocol/sdk/client/auth.js'
import { GRANT_TYPE } from '@ema/tokens'
import { FlowError } from '../src/flow-error.ts'
import {
  IdJagOAuthClientProvider,
  type IdJagOAuthClientProviderOptions,
  MAX_STEP_UPS,
} from '../src/id-jag-oauth-client-provider.ts'
import { decodeBasic, startFakeServer, type FakeServer } from '@ema/test-kit'

const RESOURCE = 'http://localhost:4003/mcp'

function provider(overrides: Partial<IdJagOAuthClientProviderOptions> = {}) {
  let issued = 0
  const requests: Array<{ scope: string | undefined }> = []
  const instance = new IdJagOAuthClientProvider({
    authorizationServer: 'http://localhost:4002',
    resource: RESOURCE,
    client: { clientId: 'acme-agent-tasks', clientSecret: 'acme-agent-as-secret' },
    scope: 'tasks.read tasks.write',
    obtainIdJag: async (request) => {
      requests.push(request)
      return `id-jag-${++issued}`
    },
    ...overrides,
  })
  return { instance, requests }
}

describe('IdJagOAuthClientProvider', () => {
  test('CL-36 CL-39 CL-40 prepareTokenRequest returns jwt-bearer params with a fresh ID-JAG each time (CL-44)', async () => {
    const { instance, requests } = provider()
    const first = await instance.prepareTokenRequest()
    assert.deepEqual(Object.fromEntries(first), {
      grant_type: GRANT_TYPE.JWT_BEARER,
      assertion: 'id-jag-1',
      resource: RESOURCE,
      scope: 'tasks.read tasks.write',
    })
    const second = await instance.prepareTokenRequest()
    assert.equal(second.get('assertion'), 'id-jag-2')
    assert.equal(second.get('scope'), 'tasks.read tasks.write')
    assert.deepEqual(requests, [{ scope: 'tasks.read tasks.write' }, { scope: 'tasks.read tasks.write' }])
  })

  test('CL-46 a step-up requests the union of the scopes asked for before and the challenged ones, and keeps it', async () => {
    const { instance, requests } = provider({ scope: 'tasks.read' })
    instance.noteInsufficientScope('tasks.write') // connectMcp saw 403 insufficient_scope, scope="tasks.write"
    const stepUp = await instance.prepareTokenRequest(instance.clientMetadata.scope) // what SDK 1.x passes
    assert.equal(stepUp.get('scope'), 'tasks.read tasks.write')
    await instance.prepareTokenRequest(instance.clientMetadata.scope) // a later 401 re-acquisition keeps the stepped-up scope
    instance.noteInsufficientScope('tasks.read') // a challenge naming a held scope narrows nothing
    await instance.prepareTokenRequest(instance.clientMetadata.scope)
    assert.deepEqual(requests, [
      { scope: 'tasks.read tasks.write' },
      { scope: 'tasks.read tasks.write' },
      { scope: 'tasks.read tasks.write' },
    ])
    assert.equal(instance.requestedScope, 'tasks.read tasks.write')
  })

  test('CL-46 limit retries: after MAX_STEP_UPS step-ups the next one is refused with insufficient_scope and no ID-JAG is requested', async () => {
    const { instance, requests } = provider({ scope: 'tasks.read' })
    for (let i = 0; i < MAX_STEP_UPS; i++) {
      instance.noteInsufficientScope('tasks.write')
      await instance.prepareTokenRequest(instance.clientMetadata.scope)
    }
    instance.noteInsufficientScope('tasks.write')
    await assert.rejects(
      instance.prepareTokenRequest(instance.clientMetadata.scope),
      (error: unknown) =>
        error instanceof FlowError && error.error === 'insufficient_scope' && /after 2 step-up/.test(error.message),
    )
    assert.equal(requests.length, MAX_STEP_UPS)
    // A plain 401 re-acquisition (no 403 noted) is not a step-up and still works.
    await instance.prepareTokenRequest(instance.clientMetadata.scope)
    assert.equal(requests.length, MAX_STEP_UPS + 1)
  })

  test('CL-46 a 403 insufficient_scope seen on the wire widens clientMetadata.scope, which SDK 1.x passes to prepareTokenRequest', async () => {
    const { instance, requests } = provider({ scope: 'tasks.read' })
    instance.noteInsufficientScope('tasks.write')
    assert.equal(instance.clientMetadata.scope, 'tasks.read tasks.write')
    await instance.prepareTokenRequest(instance.clientMetadata.scope)
    assert.deepEqual(requests, [{ scope: 'tasks.read tasks.write' }])
  })

  test('CL-40 no configured and no challenged scope: no scope parameter', async () => {
    const { instance, requests } = provider({ scope: undefined })
    const params = await instance.prepareTokenRequest()
    assert.equal(params.has('scope'), false)
    assert.deepEqual(requests, [{ scope: undefined }])
  })

  test('CL-37 clientInformation is the registration at the MCP authorization server, bound to its issuer', () => {
    const { instance } = provider()
    assert.deepEqual(instance.clientInformation(), {
      client_id: 'acme-agent-tasks',
      client_secret: 'acme-agent-as-secret',
      issuer: 'http://localhost:4002',
    })
    assert.equal(instance.redirectUrl, undefined)
  })

  test('has no interactive flow: redirectToAuthorization throws a clear error', () => {
    const { instance } = provider()
    assert.throws(() => instance.redirectToAuthorization(), /no interactive flow/)
  })

  describe('with the SDK auth()', () => {
    let as: FakeServer
    before(async () => {
      as = await startFakeServer()
      as.app.post('/token', (_req, res) => {
        res.json({ access_token: 'at-1', token_type: 'Bearer', expires_in: 600, scope: 'tasks.read' })
      })
    })
    after(() => as.close())

    test('CL-36 CL-37 CL-39 the SDK re-acquires a token through prepareTokenRequest without user interaction', async () => {
      const saved: string[] = []
      const { instance } = provider({
        authorizationServer: as.url,
        discoveryState: {
          authorizationServerUrl: as.url,
          resourceMetadata: { resource: RESOURCE, authorization_servers: [as.url] },
          authorizationServerMetadata: {
            issuer: as.url,
            token_endpoint: `${as.url}/token`,
            authorization_endpoint: `${as.url}/auth`,
            response_types_supported: ['code'],
          },
        },
        onTokens: (tokens) => saved.push(tokens.access_token),
      })
      const result = await auth(instance, { serverUrl: RESOURCE, fetchFn: fetch })
      assert.equal(result, 'AUTHORIZED')
      assert.equal(instance.tokens()?.access_token, 'at-1')
      assert.deepEqual(saved, ['at-1'])
      const received = as.received.find((r) => r.path === '/token')!
      assert.deepEqual(received.body, {
        grant_type: GRANT_TYPE.JWT_BEARER,
        assertion: 'id-jag-1',
        resource: RESOURCE,
        scope: 'tasks.read tasks.write',
      })
      assert.deepEqual(decodeBasic(received.headers.authorization), {
        id: 'acme-agent-tasks',
        secret: 'acme-agent-as-secret',
      })
    })
  })
})
