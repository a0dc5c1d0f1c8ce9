import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  ACT,
  AGENT,
  ALICE,
  MCP_SERVER,
  type FakeAuthorizationServer,
  type RunningTasksApi,
  useTasksApi,
} from './support/tasks-api.ts'

let as: FakeAuthorizationServer
let api: RunningTasksApi
useTasksApi((suite) => ({ as, api } = suite))

const call = (path: string, token: string, init: RequestInit = {}) =>
  fetch(`${api.url}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
  })

test('OBO-12 OBO-18 GET /whoami shows the user, the current actor and the chain', async () => {
  const res = await call('/whoami', await as.mint())
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('cache-control'), 'no-store')
  assert.deepEqual(await res.json(), {
    sub: ALICE,
    actor: MCP_SERVER,
    actors_chain: [MCP_SERVER, AGENT],
    client_id: MCP_SERVER,
    scope: 'tasks.read tasks.write',
  })
})

test('OBO-13 POST /tasks records which actor acted for which user; GET /tasks lists it', async () => {
  const token = await as.mint()
  const added = await call('/tasks', token, { method: 'POST', body: JSON.stringify({ title: 'Ship the Tasks API' }) })
  assert.equal(added.status, 201)
  const { task } = (await added.json()) as { task: { id: string; title: string; added_by: Record<string, string> } }
  assert.equal(task.title, 'Ship the Tasks API')
  assert.equal(task.added_by.sub, ALICE)
  assert.equal(task.added_by.actor, MCP_SERVER)
  assert.equal(task.added_by.client_id, MCP_SERVER)
  assert.ok(!Number.isNaN(Date.parse(task.added_by.at ?? '')))
  assert.deepEqual((await api.store.writes()).at(-1), task.added_by)
  assert.ok(api.lines.some((line) => line.includes('task added') && line.includes(`"actor":"${MCP_SERVER}"`)))

  const listed = await call('/tasks', await as.mint({ scope: 'tasks.read' }))
  assert.equal(listed.status, 200)
  const { tasks } = (await listed.json()) as { tasks: Array<{ id: string }> }
  assert.ok(tasks.some((t) => t.id === task.id))
})

test("tasks are per user: another sub sees none of alice's", async () => {
  await call('/tasks', await as.mint(), { method: 'POST', body: JSON.stringify({ title: 'alice only' }) })
  const res = await call('/tasks', await as.mint({ subject: 'acme|u-1002' }))
  const { tasks } = (await res.json()) as { tasks: Array<{ title: string }> }
  assert.ok(!tasks.some((t) => t.title === 'alice only'))
})

test('POST /tasks refuses a bad body with 400 invalid_request, never a 500', async () => {
  const token = await as.mint()
  for (const body of ['{"title":""}', JSON.stringify({ title: 'x'.repeat(201) }), '{"nope":1}', '{not json', '[]']) {
    const res = await call('/tasks', token, { method: 'POST', body })
    assert.equal(res.status, 400, body)
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_request', body)
  }
  const big = await call('/tasks', token, { method: 'POST', body: JSON.stringify({ title: 'x'.repeat(20_000) }) })
  assert.equal(big.status, 413)
  assert.equal(((await big.json()) as { error: string }).error, 'invalid_request')
})

test('an unknown path is a JSON 404, and the RFC 9728 metadata names the AS and the scopes', async () => {
  const res = await fetch(`${api.url}/nope`)
  assert.equal(res.status, 404)
  assert.equal(((await res.json()) as { error: string }).error, 'not_found')
  const prm = await fetch(`${api.url}/.well-known/oauth-protected-resource`)
  assert.deepEqual(await prm.json(), {
    resource: api.config.identifier,
    authorization_servers: [as.issuer],
    scopes_supported: ['tasks.read', 'tasks.write'],
    bearer_methods_supported: ['header'],
    resource_name: 'Tasks API',
  })
  assert.ok(ACT.act.sub === AGENT)
})
