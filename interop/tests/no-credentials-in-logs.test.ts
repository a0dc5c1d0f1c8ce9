import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { basicAuthorization as basic, clientSecretBasic, signInAtIdp } from '@ema/demo-kit'
import { createTokenExchanger } from '@ema/token-exchange'
import { mcpServerExchangeConfig } from './support/mcp-access-token.ts'
import { startRoles, urls, type RunningRoles } from './support/start-roles.ts'

// SEC-05, CL-34 and the house rule "never log a token, secret or assertion in full": run the whole
// chain (with step 8: the MCP server's on-behalf-of exchange and the Tasks API) and its main refusals
// against the roles started as processes with LOG_LEVEL=debug, then
// search everything they wrote for every credential that crossed the wire.

const IDP_SECRET = 'acme-agent-idp-secret'
const AS_SECRET = 'acme-agent-as-secret'
const form = (params: Record<string, string>) => new URLSearchParams(params)
/** Signs a user in at the IdP as acme-agent (client_secret_basic) and returns the ID token. */
const idTokenOf = async (username: string, password: string) =>
  (
    await signInAtIdp({
      idp: urls.idp,
      clientId: 'acme-agent',
      redirectUri: `${urls.client}/callback`,
      clientAuth: clientSecretBasic('acme-agent', IDP_SECRET),
      username,
      password,
    })
  ).id_token

let roles: RunningRoles
// The audit trail (AUDIT_LOG) is searched as well as the logs: a SIEM keeps it longer than anyone.
const auditFile = join(mkdtempSync(join(tmpdir(), 'audit-')), 'audit.jsonl')
before(async () => {
  roles = await startRoles({ LOG_LEVEL: 'debug', AUDIT_LOG: auditFile })
})
after(async () => {
  await roles.stop()
})

async function postForm(
  url: string,
  params: Record<string, string>,
  authorization: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: form(params),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

async function exchange(idToken: string, secret = IDP_SECRET, scope?: string) {
  return postForm(
    `${urls.idp}/token`,
    {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
      subject_token: idToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      audience: urls.as,
      resource: urls.rs,
      ...(scope === undefined ? {} : { scope }),
    },
    basic('acme-agent', secret),
  )
}

/** The IdP's admin JSON API with the administrator's password (HTTP Basic), as a script calls it. */
async function adminApi(method: string, path: string, body?: unknown): Promise<number> {
  const response = await fetch(`${urls.idp}/admin/api${path}`, {
    method,
    headers: {
      authorization: basic('admin', 'admin-password'),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  await response.arrayBuffer()
  return response.status
}

async function redeem(idJag: string, secret = AS_SECRET) {
  return postForm(
    `${urls.as}/token`,
    { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: idJag, resource: urls.rs },
    basic('acme-agent-tasks', secret),
  )
}

async function mcp(token: string, body: unknown, sessionId?: string): Promise<Response> {
  return fetch(urls.rs, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...(sessionId === undefined ? {} : { 'mcp-session-id': sessionId }),
    },
    body: JSON.stringify(body),
  })
}

test('SEC-05 CL-34 SEC-13 no role logs a token, assertion, secret or password during the whole chain, its refusals, the admin API and revocation, in its log or its audit trail', async () => {
  const credentials: Record<string, string> = {
    IDP_SECRET,
    AS_SECRET,
    'alice-password': 'alice-password',
    'carol-password': 'carol-password',
    'admin-password': 'admin-password',
  }

  const idToken = await idTokenOf('alice', 'alice-password')
  credentials['ID token'] = idToken
  const issued = await exchange(idToken)
  assert.equal(issued.status, 200)
  const idJag = String(issued.body.access_token)
  credentials['ID-JAG'] = idJag
  const redeemed = await redeem(idJag)
  assert.equal(redeemed.status, 200)
  const accessToken = String(redeemed.body.access_token)
  credentials['access token'] = accessToken

  const init = await mcp(accessToken, {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'log-test', version: '1' } },
  })
  assert.equal(init.status, 200)
  const sessionId = init.headers.get('mcp-session-id') ?? ''
  await init.body?.cancel()
  credentials['MCP session id'] = sessionId
  const call = await mcp(
    accessToken,
    { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
    sessionId,
  )
  assert.equal(call.status, 200)
  await call.body?.cancel()

  // Step 8 (OBO-01): the MCP server's on-behalf-of exchange at the AS and its calls to the Tasks API.
  for (const [id, name, args] of [
    [5, 'list_tasks', {}],
    [6, 'add_task', { title: 'logged, never its token' }],
  ] as const) {
    const tool = await mcp(
      accessToken,
      { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } },
      sessionId,
    )
    assert.equal(tool.status, 200)
    assert.doesNotMatch(await tool.text(), /"isError":true/)
  }
  const exchangeConfig = mcpServerExchangeConfig()
  if (exchangeConfig.clientSecret !== undefined) credentials['tasks-mcp-server secret'] = exchangeConfig.clientSecret
  const exchanged = await createTokenExchanger(exchangeConfig).exchange({
    subjectToken: accessToken,
    user: 'alice',
    scope: 'tasks.read',
  })
  credentials['exchanged (downstream) token'] = exchanged.accessToken
  const tasksApi = (path: string, token: string) =>
    fetch(`${urls.tasksApi}${path}`, { headers: { authorization: `Bearer ${token}` } })
  assert.equal((await tasksApi('/whoami', exchanged.accessToken)).status, 200)
  assert.equal((await tasksApi('/tasks', accessToken)).status, 401) // passthrough of the inbound token, refused and logged
  assert.equal((await tasksApi('/tasks', `${exchanged.accessToken}x`)).status, 401)

  // Refusals log their reasons: a replayed ID-JAG, wrong secrets, policy, a bad bearer token.
  assert.equal((await redeem(idJag)).status, 400)
  assert.equal((await redeem(String((await exchange(idToken)).body.access_token), 'wrong-as-secret')).status, 401)
  assert.equal((await exchange(idToken, 'wrong-idp-secret')).status, 401)
  const carolIdToken = await idTokenOf('carol', 'carol-password')
  credentials['carol ID token'] = carolIdToken
  assert.equal((await exchange(carolIdToken)).status, 400)
  assert.equal((await mcp(idJag, { jsonrpc: '2.0', id: 3, method: 'tools/list' })).status, 401)
  assert.equal((await mcp(`${accessToken}x`, { jsonrpc: '2.0', id: 4, method: 'tools/list' })).status, 401)

  // A tool call refused for scope (RS-07): an access token for tasks.read only, then add_task.
  const readOnlyIdJag = String((await exchange(idToken, IDP_SECRET, 'tasks.read')).body.access_token)
  credentials['read-only ID-JAG'] = readOnlyIdJag
  const readOnlyToken = String((await redeem(readOnlyIdJag)).body.access_token)
  credentials['read-only access token'] = readOnlyToken
  const readOnlyInit = await mcp(readOnlyToken, {
    jsonrpc: '2.0',
    id: 7,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'log-test', version: '1' } },
  })
  const readOnlySession = readOnlyInit.headers.get('mcp-session-id') ?? ''
  await readOnlyInit.body?.cancel()
  const refusedTool = await mcp(
    readOnlyToken,
    { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'add_task', arguments: { title: 'no' } } },
    readOnlySession,
  )
  assert.equal(refusedTool.status, 403)
  await refusedTool.body?.cancel()

  // The administrator's API (HTTP Basic with the admin password): an edit, its refusal, the trail.
  assert.equal(await adminApi('PUT', '/users/alice', { disabled: true }), 200)
  assert.equal((await exchange(idToken)).body.error, 'access_denied')
  assert.equal(await adminApi('PUT', '/users/alice', { disabled: false }), 200)
  assert.equal(await adminApi('GET', '/audit'), 200)

  // RFC 7009: the client revokes its access token (decision 0060); the token is in the request body.
  const revoked = await fetch(`${urls.as}/revoke`, {
    method: 'POST',
    headers: {
      authorization: basic('acme-agent-tasks', AS_SECRET),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token: readOnlyToken }),
  })
  assert.equal(revoked.status, 200)
  await revoked.body?.cancel()

  await new Promise((resolve) => setTimeout(resolve, 200)) // let the last lines arrive
  const audit = readFileSync(auditFile, 'utf8')
  const events = audit
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
  assert.ok(
    events.some((event) => event.event === 'token_exchange' && event.decision === 'granted' && event.user === 'alice'),
    audit,
  )
  assert.ok(
    events.some(
      (event) =>
        event.event === 'token_exchange' &&
        event.decision === 'refused' &&
        event.user === 'carol' &&
        event.error === 'access_denied',
    ),
    audit,
  )
  // One shape in every role, and one jti chain: the IdP's ID-JAG → the AS's redemption → the MCP server's tool calls.
  for (const event of events) assert.deepEqual(Object.keys(event).slice(0, 4), ['time', 'role', 'event', 'decision'])
  const jtiOf = (jwt: string) =>
    String((JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti?: unknown }).jti)
  const idJagJti = jtiOf(idJag)
  const accessTokenJti = jtiOf(accessToken)
  const issuedEvent = events.find((event) => event.role === 'idp' && event.jti === idJagJti)
  assert.equal(issuedEvent?.decision, 'granted')
  const redemption = events.find(
    (event) =>
      event.role === 'authorization-server' &&
      event.event === 'jwt_bearer' &&
      event.jti === idJagJti &&
      event.decision === 'granted',
  )
  assert.equal(redemption?.access_token_jti, accessTokenJti, audit)
  const replay = events.find(
    (event) =>
      event.role === 'authorization-server' &&
      event.event === 'jwt_bearer' &&
      event.jti === idJagJti &&
      event.decision === 'refused',
  )
  assert.equal(replay?.replay, true)
  assert.equal(replay?.error, 'invalid_grant')
  const toolCalls = events.filter(
    (event) => event.role === 'resource-server' && event.event === 'tool_call' && event.jti === accessTokenJti,
  )
  assert.deepEqual(
    toolCalls.map((event) => [event.tool, event.decision]),
    [
      ['whoami', 'granted'],
      ['list_tasks', 'granted'],
      ['add_task', 'granted'],
    ],
  )
  const readOnlyJti = jtiOf(readOnlyToken)
  const refusedCall = events.find(
    (event) => event.role === 'resource-server' && event.event === 'tool_call' && event.jti === readOnlyJti,
  )
  assert.equal(refusedCall?.decision, 'refused', audit)
  assert.equal(refusedCall?.error, 'insufficient_scope')
  assert.ok(
    events.some(
      (event) =>
        event.role === 'idp' &&
        event.user === 'alice' &&
        event.decision === 'refused' &&
        event.rule === 'disabled-user:alice',
    ),
    audit,
  )
  assert.ok(
    events.some(
      (event) =>
        event.role === 'authorization-server' &&
        event.event === 'revocation' &&
        event.jti === readOnlyJti &&
        event.decision === 'granted',
    ),
    audit,
  )
  assert.ok(
    events.some(
      (event) =>
        event.role === 'authorization-server' &&
        event.event === 'on_behalf_of' &&
        event.decision === 'granted' &&
        event.subject_jti === accessTokenJti,
    ),
    audit,
  )
  const logs = `${roles.output()}\n${audit}`
  assert.ok(logs.split('\n').length > 20, `expected debug logs from the roles, got:\n${logs}`)
  assert.match(logs, /issued ID-JAG/)
  assert.match(logs, /already used/)
  for (const [name, value] of Object.entries(credentials)) {
    assert.ok(value.length >= 8, `${name} is too short to search for`)
    assert.ok(!logs.includes(value), `the logs contain the ${name} in full`)
    const signature = value.split('.')[2]
    if (signature !== undefined) assert.ok(!logs.includes(signature), `the logs contain the signature of the ${name}`)
  }
  assert.doesNotMatch(logs, /eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/, 'the logs contain something shaped like a JWT')
})
