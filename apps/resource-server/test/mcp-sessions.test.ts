import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  ALICE,
  BOB,
  connectClient,
  INITIALIZE,
  postMcp,
  type FakeAuthorizationServer,
  type RunningResourceServer,
  useResourceServer,
} from './support/resource-server.ts'

let as: FakeAuthorizationServer
let rs: RunningResourceServer
useResourceServer((suite) => ({ as, rs } = suite))

const LIST_TASKS = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'list_tasks', arguments: {} } }
const VERSION = { 'mcp-protocol-version': '2025-06-18' }

async function assertSessionNotFound(res: Response): Promise<void> {
  assert.equal(res.status, 404)
  assert.equal(res.headers.get('www-authenticate'), null)
  assert.deepEqual(await res.json(), {
    jsonrpc: '2.0',
    error: { code: -32001, message: 'Session not found' },
    id: null,
  })
}

test('RS-19 a session id is a fresh random UUID issued on initialize', async () => {
  const { client, transport } = await connectClient(rs.resource, await as.mint())
  try {
    assert.match(transport.sessionId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  } finally {
    await client.close()
  }
})

test("RS-19 alice's session used with bob's token: 404 as for an unknown session", async () => {
  const { client, transport } = await connectClient(rs.resource, await as.mint({ subject: ALICE }))
  try {
    const bobToken = await as.mint({ subject: BOB })
    const res = await postMcp(rs.resource, LIST_TASKS, {
      authorization: `Bearer ${bobToken}`,
      'mcp-session-id': transport.sessionId!,
      ...VERSION,
    })
    await assertSessionNotFound(res)
  } finally {
    await client.close()
  }
})

test('RS-19 the same user through another client may not ride the session either (client_id is part of the principal)', async () => {
  const { client, transport } = await connectClient(rs.resource, await as.mint({ subject: ALICE }))
  try {
    const otherClient = await as.mint({ subject: ALICE, clientId: 'someone-else' })
    await assertSessionNotFound(
      await postMcp(rs.resource, LIST_TASKS, {
        authorization: `Bearer ${otherClient}`,
        'mcp-session-id': transport.sessionId!,
        ...VERSION,
      }),
    )
  } finally {
    await client.close()
  }
})

test('RS-19 a fresh token of the same principal keeps using the session', async () => {
  const { client, transport } = await connectClient(rs.resource, await as.mint({ subject: ALICE }))
  try {
    const fresh = await as.mint({ subject: ALICE })
    const res = await postMcp(rs.resource, LIST_TASKS, {
      authorization: `Bearer ${fresh}`,
      'mcp-session-id': transport.sessionId!,
      ...VERSION,
    })
    assert.equal(res.status, 200)
    await res.body?.cancel()
  } finally {
    await client.close()
  }
})

test('RS-19 an unknown session id: 404', async () => {
  const token = await as.mint()
  await assertSessionNotFound(
    await postMcp(rs.resource, LIST_TASKS, {
      authorization: `Bearer ${token}`,
      'mcp-session-id': crypto.randomUUID(),
      ...VERSION,
    }),
  )
})

test('a request with neither a session id nor initialize: 400', async () => {
  const token = await as.mint()
  const res = await postMcp(rs.resource, LIST_TASKS, { authorization: `Bearer ${token}` })
  assert.equal(res.status, 400)
  assert.equal(((await res.json()) as { error: { code: number } }).error.code, -32000)
})

test('RS-19 DELETE ends the session; the id is then unknown', async () => {
  const token = await as.mint()
  const init = await postMcp(rs.resource, INITIALIZE, { authorization: `Bearer ${token}` })
  await init.body?.cancel()
  const sessionId = init.headers.get('mcp-session-id')!
  const bob = await as.mint({ subject: BOB })
  const foreignDelete = await fetch(rs.resource, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${bob}`, 'mcp-session-id': sessionId, ...VERSION },
  })
  await assertSessionNotFound(foreignDelete) // RS-19: another principal cannot end it either
  const del = await fetch(rs.resource, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, ...VERSION },
  })
  assert.equal(del.status, 200)
  await del.body?.cancel()
  await assertSessionNotFound(
    await postMcp(rs.resource, LIST_TASKS, {
      authorization: `Bearer ${token}`,
      'mcp-session-id': sessionId,
      ...VERSION,
    }),
  )
})

test('RS-05 a session id does not replace the token: no token with a valid session id is 401', async () => {
  const { client, transport } = await connectClient(rs.resource, await as.mint())
  try {
    const res = await postMcp(rs.resource, LIST_TASKS, { 'mcp-session-id': transport.sessionId!, ...VERSION })
    assert.equal(res.status, 401)
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer resource_metadata="/)
  } finally {
    await client.close()
  }
})
