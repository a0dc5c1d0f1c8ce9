import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import {
  discoverAuthorizationServer,
  discoverProtectedResource,
  type Exchange,
  PROFILE_NOT_ADVERTISED_NOTE,
  recordTraffic,
  requestIdJag,
} from '@ema/id-jag-client'
import { GRANT_TYPE, TOKEN_TYPE } from '@ema/tokens'
import { fakeJwt, startFakeServer, type FakeServer } from '@ema/test-kit'
import { formatStepLine } from '../src/format-step-line.ts'
import type { Step } from '../src/step.ts'
import { StepView } from '../src/step-view.ts'

const ID_TOKEN = fakeJwt({ alg: 'ES256' }, { iss: 'http://localhost:4001', sub: 'u-1001' })
const ID_JAG = fakeJwt({ alg: 'ES256', typ: 'oauth-id-jag+jwt' }, { sub: 'u-1001', aud: 'http://localhost:4002' })

describe('StepView', () => {
  let server: FakeServer
  let challenge: string | undefined
  let documents: Record<string, Record<string, unknown>> = {}
  let tokenReply: { status: number; body: Record<string, unknown> }

  before(async () => {
    server = await startFakeServer()
    server.app.post('/mcp', (_req, res) => {
      if (challenge !== undefined) res.set('www-authenticate', challenge)
      res.status(401).json({ error: 'invalid_token' })
    })
    server.app.post('/token', (_req, res) => {
      res.status(tokenReply.status).json(tokenReply.body)
    })
    server.app.get(/.*/, (req, res) => {
      const doc = documents[req.path]
      if (doc === undefined) res.status(404).json({ error: 'not_found' })
      else res.json(doc)
    })
  })
  beforeEach(() => {
    challenge = undefined
    documents = {}
    tokenReply = {
      status: 200,
      body: { access_token: ID_JAG, issued_token_type: TOKEN_TYPE.ID_JAG, token_type: 'N_A', scope: 'tasks.read' },
    }
  })
  after(() => server.close())

  /** `fetch` recorded into a view, as `runChain` wires its `observers.traffic`. */
  const viewed = (steps: Step[]) => {
    const view = new StepView({ idpName: 'Acme SSO', serverName: 'Tasks', mcpServerUrl: `${server.url}/mcp` }, (step) =>
      steps.push(step),
    )
    return { view, fetch: recordTraffic(fetch, (exchange) => view.exchange(exchange)) }
  }
  const discoverResource = (steps: Step[]) => {
    const { view, fetch } = viewed(steps)
    return discoverProtectedResource({ mcpServerUrl: `${server.url}/mcp`, fetch, allowInsecureHttp: true }).finally(
      () => view.flush(),
    )
  }

  test('CL-02 the probe and the metadata its challenge names are two ok steps', async () => {
    challenge = `Bearer resource_metadata="${server.url}/custom/prm"`
    documents = { '/custom/prm': { resource: `${server.url}/mcp`, authorization_servers: ['http://localhost:4002'] } }
    const steps: Step[] = []
    await discoverResource(steps)
    assert.deepEqual(
      steps.map((step) => [step.title, step.status]),
      [
        ['Call the MCP server without a token', 'ok'],
        ['Protected resource metadata (RFC 9728)', 'ok'],
      ],
    )
    assert.ok(steps[0]!.notes?.some((note) => note.includes(`${server.url}/custom/prm`)))
    assert.ok(steps[1]!.notes?.includes('resource matches the configured MCP server (CL-03)'))
  })

  test('CL-02 a 404 at the path-aware well-known URL is a note on the step that found the document', async () => {
    documents = {
      '/.well-known/oauth-protected-resource': {
        resource: `${server.url}/mcp`,
        authorization_servers: ['http://localhost:4002'],
      },
    }
    const steps: Step[] = []
    await discoverResource(steps)
    assert.equal(steps.length, 2)
    assert.equal(steps[1]!.status, 'ok')
    assert.match(steps[1]!.notes?.[0] ?? '', /answered 404; trying the next well-known URL \(CL-02\)/)
  })

  test('CL-03 metadata for another resource is a refused step', async () => {
    challenge = `Bearer resource_metadata="${server.url}/custom/prm"`
    documents = { '/custom/prm': { resource: `${server.url}/other`, authorization_servers: ['http://localhost:4002'] } }
    const steps: Step[] = []
    await assert.rejects(discoverResource(steps))
    assert.equal(steps.at(-1)?.status, 'error')
    assert.match(steps.at(-1)?.notes?.join() ?? '', /is not the configured MCP server \(CL-03\)/)
  })

  test('CL-06 CL-07 jwt-bearer alone, without a profile list, is an ok step that says so', async () => {
    documents = {
      '/.well-known/oauth-authorization-server': {
        issuer: server.url,
        token_endpoint: `${server.url}/token`,
        grant_types_supported: [GRANT_TYPE.JWT_BEARER],
      },
    }
    const steps: Step[] = []
    const { view, fetch } = viewed(steps)
    await discoverAuthorizationServer({ authorizationServer: server.url, fetch, allowInsecureHttp: true })
    view.flush()
    assert.equal(steps.length, 1)
    assert.equal(steps[0]!.title, 'Authorization server metadata (RFC 8414)')
    assert.equal(steps[0]!.status, 'ok')
    assert.ok(steps[0]!.notes?.includes('issuer matches (CL-05)'))
    assert.ok(steps[0]!.notes?.includes(PROFILE_NOT_ADVERTISED_NOTE))
  })

  const exchangeToken = (steps: Step[], client: 'public' | 'confidential' = 'confidential') => {
    const { view, fetch } = viewed(steps)
    return requestIdJag({
      tokenEndpoint: `${server.url}/token`,
      subjectToken: ID_TOKEN,
      audience: 'http://localhost:4002',
      resource: 'http://localhost:4003/mcp',
      client:
        client === 'public'
          ? { clientId: 'public-agent', authMethod: 'none' }
          : { clientId: 'acme-agent', clientSecret: 'acme agent/idp:secret', authMethod: 'client_secret_basic' },
      fetch,
      allowInsecureHttp: true,
    }).finally(() => view.flush())
  }

  test('CL-34 the token exchange step is titled with the configured IdP name and shows the decoded ID-JAG, never a token or secret in full', async () => {
    const steps: Step[] = []
    await exchangeToken(steps)
    const shown = JSON.stringify(steps)
    assert.ok(!shown.includes(ID_TOKEN), 'ID token leaked into the step')
    assert.ok(!shown.includes(ID_JAG), 'ID-JAG leaked into the step')
    assert.ok(!shown.includes('acme agent/idp:secret') && !shown.includes('acme+agent%2Fidp%3Asecret'), 'secret leaked')
    assert.equal(steps[0]?.title, 'Token exchange at Acme SSO (RFC 8693)')
    assert.equal(steps[0]?.status, 'ok')
    assert.ok(steps[0]?.notes?.includes('client authentication client_secret_basic (CL-27, CL-28)'))
    assert.equal((steps[0]?.tokens?.[0]?.header as { typ: string }).typ, 'oauth-id-jag+jwt')
  })

  test('CL-27 a public client identification shows as none, with its client_id', async () => {
    const steps: Step[] = []
    await exchangeToken(steps, 'public')
    assert.equal(steps[0]?.request?.params?.client_id, 'public-agent')
    assert.ok(steps[0]?.notes?.includes('client authentication none (client_id only) (CL-27, CL-28)'))
  })

  test('CL-30 a response that is not an ID-JAG is a refused step', async () => {
    tokenReply.body.issued_token_type = TOKEN_TYPE.ACCESS_TOKEN
    const steps: Step[] = []
    await assert.rejects(exchangeToken(steps))
    assert.equal(steps.at(-1)?.status, 'error')
    assert.match(steps.at(-1)?.notes?.join() ?? '', /not an ID-JAG response/)
  })

  test('a kept access token reused is one step, with no request', () => {
    const steps: Step[] = []
    const view = new StepView(
      { idpName: 'Acme SSO', serverName: 'Tasks', mcpServerUrl: 'http://localhost:4003/mcp' },
      (step) => steps.push(step),
    )
    view.reusedAccessToken({
      authorizationServer: 'http://localhost:4002',
      resource: 'http://localhost:4003/mcp',
      expiresIn: 240,
      grantedScope: 'tasks.read',
    })
    assert.deepEqual(steps, [
      {
        title: 'Access token kept from an earlier run (no exchange needed)',
        status: 'ok',
        notes: [
          'issued by http://localhost:4002 for http://localhost:4003/mcp; expires in 240 s; granted scope: tasks.read',
        ],
      },
    ])
  })

  describe('MCP traffic', () => {
    const mcpUrl = 'http://localhost:4003/mcp'
    const call = (status: number, headers: Record<string, string> = {}): Exchange => ({
      request: {
        method: 'POST',
        url: mcpUrl,
        headers: { authorization: 'Bearer at-r…' },
        json: { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'add_task', arguments: { title: 'x' } } },
      },
      response: {
        status,
        headers,
        ...(status === 200 ? { body: { jsonrpc: '2.0', id: 3, result: { content: [], isError: false } } } : {}),
      },
    })
    const jwtBearer: Exchange = {
      request: {
        method: 'POST',
        url: 'http://localhost:4002/token',
        headers: {},
        params: { grant_type: GRANT_TYPE.JWT_BEARER, client_id: 'acme-agent-tasks', assertion: 'eyJ…' },
      },
      response: {
        status: 200,
        headers: {},
        body: { access_token: 'at-w…', token_type: 'Bearer', scope: 'tasks.read tasks.write' },
      },
    }
    const insufficientScope = {
      'www-authenticate': 'Bearer error="insufficient_scope", scope="tasks.read tasks.write"',
    }

    test('CL-46 a 403 insufficient_scope followed by a jwt-bearer grant is a note on the re-acquired token, then the call', () => {
      const steps: Step[] = []
      const view = new StepView({ idpName: 'Acme SSO', serverName: 'Tasks', mcpServerUrl: mcpUrl }, (step) =>
        steps.push(step),
      )
      view.exchange(call(403, insufficientScope))
      view.exchange(jwtBearer)
      view.exchange(call(200))
      view.flush()
      assert.deepEqual(
        steps.map((step) => [step.title, step.status]),
        [
          ['Access token re-acquired by the MCP SDK (RFC 7523 jwt-bearer, fresh ID-JAG)', 'ok'],
          ['Call tool add_task', 'ok'],
        ],
      )
      assert.equal(
        steps[0]!.notes?.[0],
        'after the MCP server answered 403 insufficient_scope (scope "tasks.read tasks.write"): a step-up (CL-46)',
      )
    })

    test('CL-46 a 403 insufficient_scope that ends the call is a refused step', () => {
      const steps: Step[] = []
      const view = new StepView({ idpName: 'Acme SSO', serverName: 'Tasks', mcpServerUrl: mcpUrl }, (step) =>
        steps.push(step),
      )
      view.exchange(call(403, insufficientScope))
      assert.equal(steps.length, 0, 'waits for what follows the refusal')
      view.flush()
      assert.equal(steps.length, 1)
      assert.equal(steps[0]!.title, 'Call tool add_task')
      assert.equal(steps[0]!.status, 'error')
      assert.deepEqual(steps[0]!.response, {
        status: 403,
        body: { 'WWW-Authenticate': insufficientScope['www-authenticate'] },
      })
    })
  })
})

describe('formatStepLine', () => {
  test('CL-34 one line: status, title, method, URL, status and notes; no parameters, headers or tokens', () => {
    const line = formatStepLine({
      title: 'Token exchange at Acme SSO (RFC 8693)',
      status: 'error',
      request: {
        method: 'POST',
        url: 'http://localhost:4001/token',
        headers: { authorization: 'Basic YWN…' },
        params: { subject_token: 'eyJ…' },
      },
      response: { status: 400, body: { error: 'access_denied' } },
      tokens: [{ label: 'ID-JAG', header: { typ: 'oauth-id-jag+jwt' }, claims: { sub: 'u-1001' } }],
      notes: ['client authentication client_secret_basic (CL-27, CL-28)'],
    })
    assert.equal(
      line,
      '[FAILED] Token exchange at Acme SSO (RFC 8693): POST http://localhost:4001/token -> HTTP 400 (client authentication client_secret_basic (CL-27, CL-28))',
    )
  })
})
