import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ALICE, startAuthorizationServer, startTasksApi } from './support/tasks-api.ts'

const SECRET = 'tasks-api-demo-reset-secret'
const ALICE_OWNER = { sub: ALICE }
const record = { sub: ALICE, actor: 'tasks-mcp-server', client_id: 'acme-agent-tasks', at: new Date().toISOString() }

test('POST /demo/reset is a JSON 404 when DEMO_RESET is off', async () => {
  const as = await startAuthorizationServer(() => '')
  const api = await startTasksApi(as.issuer)
  try {
    const response = await fetch(`${api.url}/demo/reset`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}` },
    })
    assert.equal(response.status, 404)
    assert.equal(((await response.json()) as { error: string }).error, 'not_found')
  } finally {
    await api.close()
    await as.close()
  }
})

test('POST /demo/reset: a wrong secret → 401 and nothing cleared; the right one empties every list', async () => {
  const as = await startAuthorizationServer(() => '')
  const api = await startTasksApi(as.issuer, { DEMO_RESET: 'true', DEMO_RESET_SECRET: SECRET })
  try {
    const owner = { iss: as.issuer, ...ALICE_OWNER }
    await api.store.add(owner, 'before the reset', record)
    const wrong = await fetch(`${api.url}/demo/reset`, { method: 'POST', headers: { authorization: 'Bearer nope' } })
    assert.equal(wrong.status, 401)
    assert.equal((await api.store.list(owner)).length, 1)
    const ok = await fetch(`${api.url}/demo/reset`, { method: 'POST', headers: { authorization: `Bearer ${SECRET}` } })
    assert.equal(ok.status, 200)
    assert.deepEqual(await api.store.list(owner), [])
    assert.deepEqual(await api.store.writes(), [])
    assert.ok(
      api.lines.some((line) => line.includes('DEMO_RESET is ON')),
      'logged loudly',
    )
  } finally {
    await api.close()
    await as.close()
  }
})
