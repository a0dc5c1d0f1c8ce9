import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createTokenExchanger } from '@ema/token-exchange'
import { mcpAccessTokenOf, mcpServerExchangeConfig, openMcpSession } from './support/mcp-access-token.ts'
import { startRoles, urls, type RunningRoles } from './support/start-roles.ts'

// Step 8 with every role as its own process: the MCP server exchanges the access token it received at
// the authorization server (RFC 8693, on-behalf-of) and calls the Tasks API with the new token.

const ISSUED = 'issued a downstream access token on behalf of the user' // the AS's log line per exchange
let roles: RunningRoles
before(async () => {
  roles = await startRoles({ LOG_LEVEL: 'info' })
})
after(async () => {
  await roles.stop()
})

const issuedCount = () =>
  roles
    .output()
    .split('\n')
    .filter((line) => line.includes(ISSUED)).length

test('OBO-01 OBO-18 the inbound MCP access token passed through to the Tasks API is refused: 401 invalid_token (wrong audience)', async () => {
  const { accessToken } = await mcpAccessTokenOf('alice', 'alice-password')
  const res = await fetch(`${urls.tasksApi}/tasks`, { headers: { authorization: `Bearer ${accessToken}` } })
  assert.equal(res.status, 401)
  const body = (await res.json()) as { error: string; error_description: string }
  assert.equal(body.error, 'invalid_token')
  assert.match(body.error_description, /not for this resource/)
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/)
})

test('OBO-12 OBO-13 the exchanged token works at the Tasks API: same sub, aud the Tasks API, act = tasks-mcp-server acting for acme-agent-tasks', async () => {
  const { accessToken } = await mcpAccessTokenOf('alice', 'alice-password')
  const exchanged = await createTokenExchanger(mcpServerExchangeConfig()).exchange({
    subjectToken: accessToken,
    user: 'alice',
    scope: 'tasks.read',
  })
  const res = await fetch(`${urls.tasksApi}/whoami`, { headers: { authorization: `Bearer ${exchanged.accessToken}` } })
  assert.equal(res.status, 200)
  assert.deepEqual(await res.json(), {
    sub: 'acme|u-1001',
    actor: 'tasks-mcp-server',
    actors_chain: ['tasks-mcp-server', 'acme-agent-tasks'],
    client_id: 'tasks-mcp-server',
    scope: 'tasks.read',
  })
  // OBO-06: tasks.read only, so the write route refuses it.
  const write = await fetch(`${urls.tasksApi}/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${exchanged.accessToken}`, 'content-type': 'application/json' },
    body: '{"title":"no"}',
  })
  assert.equal(write.status, 403)
  assert.match(write.headers.get('www-authenticate') ?? '', /error="insufficient_scope".*scope="tasks.write"/)
})

test('OBO-17 single flight through the real MCP server: 50 concurrent list_tasks calls, exactly one exchange at the AS', async () => {
  const { accessToken } = await mcpAccessTokenOf('alice', 'alice-password')
  const session = await openMcpSession(accessToken)
  const before = issuedCount()
  const answers = await Promise.all(
    Array.from({ length: 50 }, () => session.call('tools/call', { name: 'list_tasks', arguments: {} })),
  )
  for (const answer of answers) {
    assert.equal(answer.status, 200)
    const result = answer.message?.result as { isError?: boolean; structuredContent?: { tasks?: unknown } } | undefined
    assert.notEqual(result?.isError, true, JSON.stringify(answer.message))
    assert.ok(Array.isArray(result?.structuredContent?.tasks))
  }
  await new Promise((resolve) => setTimeout(resolve, 200)) // let the last log lines arrive
  assert.equal(issuedCount() - before, 1, `expected one exchange, the AS logged ${issuedCount() - before}`)
})

test('OBO-13 alice adds a task through the MCP server; the Tasks API records tasks-mcp-server acting for her', async () => {
  const { accessToken } = await mcpAccessTokenOf('alice', 'alice-password')
  const session = await openMcpSession(accessToken)
  const answer = await session.call('tools/call', {
    name: 'add_task',
    arguments: { title: 'interop on behalf of alice' },
  })
  const result = answer.message?.result as {
    isError?: boolean
    structuredContent?: { task?: { added_by?: Record<string, unknown> } }
  }
  assert.notEqual(result.isError, true, JSON.stringify(answer.message))
  assert.equal(result.structuredContent?.task?.added_by?.['sub'], 'acme|u-1001')
  assert.equal(result.structuredContent?.task?.added_by?.['actor'], 'tasks-mcp-server')
  assert.equal(result.structuredContent?.task?.added_by?.['client_id'], 'tasks-mcp-server')
})

test('RS-07 bob (tasks.read) is refused add_task at the MCP server with 403 insufficient_scope, and no exchange happens', async () => {
  const { accessToken } = await mcpAccessTokenOf('bob', 'bob-password')
  const session = await openMcpSession(accessToken)
  const before = issuedCount()
  const answer = await session.call('tools/call', { name: 'add_task', arguments: { title: 'bob should not add this' } })
  assert.equal(answer.status, 403)
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.equal(issuedCount(), before)
})
