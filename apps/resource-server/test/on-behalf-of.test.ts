import assert from 'node:assert/strict'
import { beforeEach, describe, test } from 'node:test'
import { createLogger, listen } from '@ema/server-kit'
import { remoteKeySet } from '@ema/tokens'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { createResourceServerApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import {
  downstreamEnv,
  MCP_SERVER_CLIENT,
  type FakeSts,
  type FakeTasksApi,
  useDownstream,
} from './support/downstream.ts'
import {
  ALICE,
  BOB,
  CLIENT_ID,
  connectClient,
  postMcp,
  startResourceServer,
  INITIALIZE,
  type FakeAuthorizationServer,
  type RunningResourceServer,
} from './support/resource-server.ts'

// OBO-01 … OBO-17 at the MCP server: every tool reaches the Tasks API with a token exchanged for it
// (RFC 8693, down-scoped per tool), never the inbound one; refusals by the authorization server or the
// Tasks API are tool errors a person understands, never a 500 or a hang; the second hop can be traced.

let as: FakeAuthorizationServer
let sts: FakeSts
let api: FakeTasksApi
let rs: RunningResourceServer
useDownstream((suite) => ({ as, rs, sts, api } = suite), {
  MCP_TRACE_DOWNSTREAM: 'true',
  DOWNSTREAM_TIMEOUT_MS: '10000',
})
beforeEach(() => {
  sts.requests.length = 0
  sts.override = undefined
  sts.delayMs = 0
  api.tokens.length = 0
  api.override = undefined
})

type Trace = {
  exchange: {
    request?: { url: string; client_authentication: string; params: Record<string, string> }
    status?: number
    cached: boolean
    error?: { error: string }
  }
  downstream_token_claims?: Record<string, unknown>
  api?: { method: string; url: string; status?: number; body?: unknown }
}
const traceOf = (result: CallToolResult): Trace =>
  (result._meta as Record<string, Trace> | undefined)?.['io.ema/downstream'] ??
  assert.fail(`no trace in ${JSON.stringify(result)}`)
const textOf = (result: CallToolResult) => (result.content[0] as { text: string }).text
/** Each test its own user, so the exchange cache of one test does not answer another's. */
const mintFor = (subject: string, overrides: Parameters<FakeAuthorizationServer['mint']>[0] = {}) =>
  as.mint({ subject, audience: rs.resource, ...overrides })

async function call(
  token: string,
  name: string,
  args: Record<string, unknown> = {},
  resource = rs.resource,
): Promise<CallToolResult> {
  const { client } = await connectClient(resource, token)
  try {
    return (await client.callTool({ name, arguments: args })) as CallToolResult
  } finally {
    await client.close()
  }
}

describe('the exchange and the call', () => {
  test('OBO-01 OBO-03 OBO-05 OBO-06 RS-15 list_tasks exchanges the inbound token for a tasks.read token for the Tasks API and calls it with that token only', async () => {
    const inbound = await mintFor('u-obo-1')
    const result = await call(inbound, 'list_tasks')
    assert.equal(result.isError, undefined, textOf(result))
    assert.equal(sts.requests.length, 1)
    const form = sts.requests[0]!
    assert.equal(form.get('grant_type'), 'urn:ietf:params:oauth:grant-type:token-exchange')
    assert.equal(form.get('subject_token'), inbound) // OBO-03: the validated inbound token is the subject
    assert.equal(form.get('subject_token_type'), 'urn:ietf:params:oauth:token-type:access_token')
    assert.equal(form.get('requested_token_type'), 'urn:ietf:params:oauth:token-type:access_token')
    assert.equal(form.get('audience'), api.url)
    assert.equal(form.get('scope'), 'tasks.read') // OBO-06: down-scoped to the tool's need
    assert.deepEqual(api.tokens, [sts.issued.at(-1)]) // OBO-01: the exchanged token, never the inbound one
    assert.ok(!api.tokens.includes(inbound))
  })

  test('OBO-06 add_task asks for tasks.write only; whoami for tasks.read', async () => {
    const inbound = await mintFor('u-obo-2')
    assert.equal((await call(inbound, 'add_task', { title: 'via the Tasks API' })).isError, undefined)
    assert.equal((await call(inbound, 'whoami')).isError, undefined)
    assert.deepEqual(
      sts.requests.map((f) => f.get('scope')),
      ['tasks.write', 'tasks.read'],
    )
  })

  test('OBO-17 a second tool call for the same user and scope reuses the exchanged token', async () => {
    const inbound = await mintFor('u-obo-3')
    const first = await call(inbound, 'list_tasks')
    const second = await call(inbound, 'list_tasks')
    assert.equal(sts.requests.length, 1)
    assert.equal(traceOf(first).exchange.cached, false)
    assert.equal(traceOf(second).exchange.cached, true)
    assert.equal(api.tokens.length, 2)
    assert.equal(api.tokens[0], api.tokens[1])
  })

  test('OBO-17 single flight: 50 concurrent list_tasks calls through the MCP server make exactly one exchange', async () => {
    sts.delayMs = 200
    const { client } = await connectClient(rs.resource, await mintFor('u-obo-flight'))
    try {
      const results = await Promise.all(
        Array.from(
          { length: 50 },
          () => client.callTool({ name: 'list_tasks', arguments: {} }) as Promise<CallToolResult>,
        ),
      )
      assert.ok(
        results.every((r) => r.isError === undefined),
        JSON.stringify(results.find((r) => r.isError)),
      )
      assert.equal(sts.requests.length, 1)
      assert.equal(api.tokens.length, 50)
      assert.equal(new Set(api.tokens).size, 1)
    } finally {
      await client.close()
    }
  })

  test('OBO-12 whoami keeps its answer (the caller as the MCP server sees it) after the Tasks API confirmed the same sub', async () => {
    const result = await call(await mintFor(ALICE), 'whoami')
    assert.deepEqual(result.structuredContent, {
      subject: ALICE,
      issuer: as.issuer,
      client_id: CLIENT_ID,
      scopes: ['tasks.read', 'tasks.write'],
      idp: 'http://localhost:4001',
    })
    assert.deepEqual(traceOf(result).api?.body, {
      sub: ALICE,
      actor: MCP_SERVER_CLIENT,
      actors_chain: [MCP_SERVER_CLIENT, CLIENT_ID],
      client_id: MCP_SERVER_CLIENT,
      scope: 'tasks.read',
    })
  })
})

describe('the second hop made visible (MCP_TRACE_DOWNSTREAM)', () => {
  test('OBO-12 the trace shows the exchange with secrets redacted, its status, the decoded downstream token with its act chain, and the API call', async () => {
    const inbound = await mintFor('u-obo-trace')
    const result = await call(inbound, 'add_task', { title: 'traced' })
    const trace = traceOf(result)
    assert.equal(trace.exchange.status, 200)
    assert.equal(trace.exchange.request?.url, sts.tokenUrl)
    assert.equal(trace.exchange.request?.client_authentication, 'client_secret_basic')
    assert.equal(trace.exchange.request?.params['subject_token'], `[redacted ${inbound.length} chars]`)
    assert.equal(trace.exchange.request?.params['scope'], 'tasks.write')
    const claims = trace.downstream_token_claims!
    assert.equal(claims['sub'], 'u-obo-trace')
    assert.equal(claims['aud'], api.url)
    assert.equal(claims['client_id'], MCP_SERVER_CLIENT)
    assert.deepEqual(claims['act'], { sub: MCP_SERVER_CLIENT, act: { sub: CLIENT_ID } })
    assert.deepEqual(trace.api, { method: 'POST', url: `${api.url}/tasks`, status: 201 })
    const everything = JSON.stringify(result)
    assert.ok(!everything.includes(inbound), 'the inbound token is in the result')
    for (const token of sts.issued) assert.ok(!everything.includes(token), 'an exchanged token is in the result')
    assert.ok(!everything.includes('tasks-mcp-server-secret'))
  })

  test('without MCP_TRACE_DOWNSTREAM (the default) a tool result has no _meta', async () => {
    const plain = await startResourceServer(as, downstreamEnv(sts, api))
    sts.otherMcpResources.push(plain.resource)
    try {
      const result = await call(
        await as.mint({ subject: 'u-obo-plain', audience: plain.resource }),
        'list_tasks',
        {},
        plain.resource,
      )
      assert.equal(result.isError, undefined)
      assert.equal(result._meta, undefined)
    } finally {
      await plain.close()
    }
  })
})

describe('refusals become tool errors naming who refused and the OAuth error code', () => {
  const refusals: Array<{
    title: string
    arrange: () => void
    tool?: string
    text: RegExp
    error: Record<string, unknown>
  }> = [
    {
      title: 'OBO-16 the authorization server refuses the exchange: invalid_target',
      arrange: () => {
        sts.override = () => ({
          status: 400,
          body: { error: 'invalid_target', error_description: 'the audience is not a registered downstream API' },
        })
      },
      text: /^list_tasks failed: The authorization server refused the token exchange \(HTTP 400\): invalid_target: the audience is not a registered downstream API \(asked for a Tasks API token with scope tasks\.read\)\.$/,
      error: {
        refused_by: 'the authorization server',
        error: 'invalid_target',
        error_description: 'the audience is not a registered downstream API',
        status: 400,
      },
    },
    {
      title: 'the authorization server refuses the exchange: unauthorized_client (OBO switched off)',
      arrange: () => {
        sts.override = () => ({
          status: 400,
          body: {
            error: 'unauthorized_client',
            error_description: 'on-behalf-of token exchange is not enabled for this client',
          },
        })
      },
      text: /unauthorized_client: on-behalf-of token exchange is not enabled/,
      error: {
        refused_by: 'the authorization server',
        error: 'unauthorized_client',
        error_description: 'on-behalf-of token exchange is not enabled for this client',
        status: 400,
      },
    },
    {
      title: 'the authorization server is overloaded (503 without an OAuth error)',
      arrange: () => {
        sts.override = () => ({ status: 503, body: 'busy' })
      },
      text: /could not be reached for the token exchange \(HTTP 503\)/,
      error: {
        refused_by: 'the authorization server',
        error: 'temporarily_unavailable',
        error_description: 'the answer carries no OAuth error code',
        status: 503,
      },
    },
    {
      title: 'OBO-18 the Tasks API refuses the token: invalid_token',
      arrange: () => {
        api.override = () => ({
          status: 401,
          body: {
            error: 'invalid_token',
            error_description: 'actor tasks-mcp-server is not allowed to act at this API',
          },
        })
      },
      text: /^list_tasks failed: The Tasks API refused the call \(HTTP 401\): invalid_token: actor tasks-mcp-server is not allowed to act at this API\.$/,
      error: {
        refused_by: 'the Tasks API',
        error: 'invalid_token',
        error_description: 'actor tasks-mcp-server is not allowed to act at this API',
        status: 401,
      },
    },
    {
      title: 'the Tasks API answers 403 without a JSON body or a challenge: the status stands in for the code',
      arrange: () => {
        api.override = () => ({ status: 403, body: 'nope' })
      },
      text: /The Tasks API refused the call \(HTTP 403\): http_403/,
      error: { refused_by: 'the Tasks API', error: 'http_403', status: 403 },
    },
    {
      title: 'the Tasks API answers 500 without an OAuth error',
      arrange: () => {
        api.override = () => ({ status: 500, body: {} })
      },
      text: /The Tasks API could not be reached \(HTTP 500\)/,
      error: { refused_by: 'the Tasks API', error: 'temporarily_unavailable', status: 500 },
    },
  ]
  for (const r of refusals) {
    test(`${r.title} → isError, never a 500`, async () => {
      r.arrange()
      const result = await call(await mintFor(`u-${crypto.randomUUID()}`), r.tool ?? 'list_tasks')
      assert.equal(result.isError, true)
      assert.match(textOf(result), r.text)
      assert.deepEqual(result.structuredContent, { error: r.error })
      assert.ok(traceOf(result).exchange !== undefined)
    })
  }

  test('OBO-09 a subject token the authorization server finds unacceptable → invalid_request, named', async () => {
    // The fake AS checks the subject token's aud against the MCP server; this one (valid here) is for another MCP server there.
    sts.override = () => ({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: 'the subject token is not acceptable: the access token has expired',
      },
    })
    const result = await call(await mintFor('u-obo-9'), 'whoami')
    assert.equal(result.isError, true)
    assert.match(
      textOf(result),
      /The authorization server refused the token exchange \(HTTP 400\): invalid_request: the subject token is not acceptable/,
    )
  })

  test('a token exchange that does not answer in DOWNSTREAM_TIMEOUT_MS is a tool error, not a hang', async () => {
    sts.delayMs = 13_000 // longer than DOWNSTREAM_TIMEOUT_MS (10 s: 50 concurrent calls on a loaded 2-core machine need the room)
    const started = Date.now()
    const result = await call(await mintFor('u-obo-slow'), 'list_tasks')
    assert.ok(Date.now() - started < 12_000, `took ${Date.now() - started} ms`)
    assert.equal(result.isError, true)
    assert.match(
      textOf(result),
      /the authorization server could not be reached for the token exchange: no answer within 10000 ms/i,
    )
  })

  test('an unreachable authorization server or Tasks API is a tool error naming it', async () => {
    const closed = await listen({ port: 0 })
    await closed.close()
    // Each server listens on a free port, which may be the one just closed: start it again until it is not.
    const startAwayFromClosed = async (env: Record<string, string>) => {
      for (;;) {
        const server = await startResourceServer(as, env)
        if (new URL(server.url).port !== new URL(closed.url).port) return server
        await server.close()
      }
    }
    const offline = await startAwayFromClosed(downstreamEnv(sts, api, { TOKEN_EXCHANGE_URL: `${closed.url}/token` }))
    const noApi = await startAwayFromClosed(downstreamEnv(sts, api, { TASKS_API_URL: closed.url }))
    sts.otherMcpResources.push(noApi.resource)
    try {
      const a = await call(
        await as.mint({ subject: 'u-off-1', audience: offline.resource }),
        'list_tasks',
        {},
        offline.resource,
      )
      assert.equal(a.isError, true)
      assert.match(textOf(a), /The authorization server could not be reached for the token exchange: .*ECONNREFUSED/)
      const b = await call(
        await as.mint({ subject: 'u-off-2', audience: noApi.resource }),
        'list_tasks',
        {},
        noApi.resource,
      )
      assert.equal(b.isError, true)
      assert.match(textOf(b), /The Tasks API could not be reached: http:\/\/localhost:\d+\/tasks: .*ECONNREFUSED/)
    } finally {
      await offline.close()
      await noApi.close()
    }
  })

  test('OBO-07 no client credentials configured: every tool says which settings are missing', async () => {
    const unconfigured = await startResourceServer(as, { TASKS_API_URL: api.url })
    try {
      const result = await call(
        await as.mint({ subject: 'u-unconf', audience: unconfigured.resource }),
        'whoami',
        {},
        unconfigured.resource,
      )
      assert.equal(result.isError, true)
      assert.match(
        textOf(result),
        /no client credentials for the token exchange \(set TOKEN_EXCHANGE_CLIENT_CERT_FILE and TOKEN_EXCHANGE_CLIENT_KEY_FILE, or TOKEN_EXCHANGE_CLIENT_SECRET\)/,
      )
      assert.deepEqual(result.structuredContent, { error: { refused_by: 'the MCP server', error: 'server_error' } })
    } finally {
      await unconfigured.close()
    }
  })

  test('OBO-02 RS-07 bob (tasks.read) is refused add_task at the MCP server with 403 insufficient_scope BEFORE any exchange', async () => {
    const token = await mintFor(BOB, { scope: 'tasks.read' })
    const init = await postMcp(rs.resource, INITIALIZE, { authorization: `Bearer ${token}` })
    const sessionId = init.headers.get('mcp-session-id') ?? ''
    await init.body?.cancel()
    const res = await postMcp(
      rs.resource,
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'add_task', arguments: { title: 'no' } } },
      {
        authorization: `Bearer ${token}`,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-06-18',
      },
    )
    assert.equal(res.status, 403)
    assert.equal(((await res.json()) as { error: string }).error, 'insufficient_scope')
    assert.equal(sts.requests.length, 0)
    assert.equal(api.tokens.length, 0)
  })

  test('OBO-02 a token the MCP server refuses never reaches the exchange', async () => {
    const res = await postMcp(rs.resource, INITIALIZE, {
      authorization: `Bearer ${await mintFor('u-x', { audience: 'http://localhost:1/other' })}`,
    })
    assert.equal(res.status, 401)
    assert.equal(sts.requests.length, 0)
  })
})

test("SEC-05 no token reaches the MCP server's log lines, on success or refusal (LOG_LEVEL debug)", async () => {
  const lines: string[] = []
  const l = await listen({ port: 0 })
  const config = loadConfig({
    RS_RESOURCE: `${l.url}/mcp`,
    AS_ISSUER: as.issuer,
    ALLOW_INSECURE_HTTP: 'true',
    ...downstreamEnv(sts, api, { DOWNSTREAM_TIMEOUT_MS: '10000' }),
  })
  const log = createLogger({ name: 'resource-server', level: 'debug', write: (line) => lines.push(line) })
  sts.otherMcpResources.push(config.resource)
  l.server.on(
    'request',
    createResourceServerApp(config, {
      now: () => new Date(),
      authorizationServerKeys: remoteKeySet(config.authorizationServer.jwksUri, { allowInsecureHttp: true }),
      log,
    }),
  )
  try {
    const inbound = await as.mint({ subject: 'u-logs', audience: config.resource })
    assert.equal((await call(inbound, 'add_task', { title: 'logged' }, config.resource)).isError, undefined)
    sts.override = () => ({ status: 400, body: { error: 'invalid_scope' } })
    assert.equal(
      (await call(await as.mint({ subject: 'u-logs-2', audience: config.resource }), 'list_tasks', {}, config.resource))
        .isError,
      true,
    )
    sts.override = undefined
    api.override = () => ({ status: 401, body: { error: 'invalid_token' } })
    assert.equal(
      (await call(await as.mint({ subject: 'u-logs-3', audience: config.resource }), 'list_tasks', {}, config.resource))
        .isError,
      true,
    )
    const text = lines.join('\n')
    assert.match(text, /token exchanged/)
    assert.match(text, /on-behalf-of token exchange refused/)
    assert.match(text, /Tasks API refused the call/)
    assert.ok(!text.includes(inbound))
    for (const token of [...sts.issued, ...api.tokens]) {
      assert.ok(!text.includes(token), 'a token is in the log')
      assert.ok(!text.includes(token.split('.')[2] ?? '-'), 'a token signature is in the log')
    }
    assert.ok(!text.includes('tasks-mcp-server-secret'))
    assert.doesNotMatch(text, /eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/)
  } finally {
    await l.close()
  }
})
