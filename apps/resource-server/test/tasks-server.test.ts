import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useDownstream } from './support/downstream.ts'
import {
  ALICE,
  BOB,
  CLIENT_ID,
  connectClient,
  type FakeAuthorizationServer,
  type RunningResourceServer,
} from './support/resource-server.ts'

// The tools over the Tasks API (stand-ins for the AS's token exchange and the Tasks API, support/downstream.ts).
let as: FakeAuthorizationServer
let rs: RunningResourceServer
useDownstream((suite) => ({ as, rs } = suite))

function textOf(result: unknown): unknown {
  const content = (result as { content: Array<{ type: string; text: string }> }).content
  assert.equal(content[0]?.type, 'text')
  return JSON.parse(content[0]!.text)
}

test('RS-09 RS-10 happy path: initialize, list three tools, whoami names the subject', async () => {
  const { client } = await connectClient(rs.resource, await as.mint())
  try {
    assert.equal(client.getServerVersion()?.name, 'tasks')
    const { tools } = await client.listTools()
    assert.deepEqual(tools.map((t) => t.name).sort(), ['add_task', 'list_tasks', 'whoami'])
    const who = await client.callTool({ name: 'whoami', arguments: {} })
    assert.deepEqual(textOf(who), {
      subject: ALICE,
      issuer: as.issuer,
      client_id: CLIENT_ID,
      scopes: ['tasks.read', 'tasks.write'],
      idp: 'http://localhost:4001',
    })
    assert.deepEqual(who.structuredContent, textOf(who))
  } finally {
    await client.close()
  }
})

test('add_task then list_tasks returns the task', async () => {
  const { client } = await connectClient(rs.resource, await as.mint())
  try {
    const added = await client.callTool({ name: 'add_task', arguments: { title: 'Write the RS README' } })
    assert.equal(added.isError, undefined)
    const { task } = textOf(added) as { task: { id: string; title: string } }
    assert.equal(task.title, 'Write the RS README')
    const listed = textOf(await client.callTool({ name: 'list_tasks', arguments: {} })) as {
      tasks: Array<{ id: string }>
    }
    assert.ok(listed.tasks.some((t) => t.id === task.id))
  } finally {
    await client.close()
  }
})

test('add_task refuses an empty or over-long title (1..200 characters)', async () => {
  const { client } = await connectClient(rs.resource, await as.mint())
  try {
    for (const title of ['', 'x'.repeat(201)]) {
      const result = await client.callTool({ name: 'add_task', arguments: { title } })
      assert.equal(result.isError, true)
    }
  } finally {
    await client.close()
  }
})

test("RS-19 tasks are per user: bob does not see alice's tasks", async () => {
  const alice = await connectClient(rs.resource, await as.mint({ subject: ALICE }))
  const bob = await connectClient(rs.resource, await as.mint({ subject: BOB }))
  try {
    await alice.client.callTool({ name: 'add_task', arguments: { title: 'alice only' } })
    const bobs = textOf(await bob.client.callTool({ name: 'list_tasks', arguments: {} })) as {
      tasks: Array<{ title: string }>
    }
    assert.ok(!bobs.tasks.some((t) => t.title === 'alice only'))
    const alices = textOf(await alice.client.callTool({ name: 'list_tasks', arguments: {} })) as {
      tasks: Array<{ title: string }>
    }
    assert.ok(alices.tasks.some((t) => t.title === 'alice only'))
  } finally {
    await alice.client.close()
    await bob.client.close()
  }
})

test('the same user through another client sees the same tasks (the Tasks API keys them by sub)', async () => {
  const first = await connectClient(rs.resource, await as.mint({ subject: 'u-shared' }))
  const second = await connectClient(rs.resource, await as.mint({ subject: 'u-shared', clientId: 'another-client' }))
  try {
    await first.client.callTool({ name: 'add_task', arguments: { title: 'shared' } })
    const listed = textOf(await second.client.callTool({ name: 'list_tasks', arguments: {} })) as {
      tasks: Array<{ title: string }>
    }
    assert.ok(listed.tasks.some((t) => t.title === 'shared'))
  } finally {
    await first.client.close()
    await second.client.close()
  }
})
