import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startRedisServer, type RunningRedisServer } from '@ema/demo-kit'
import { connectRedis, type RedisConnection } from '@ema/redis-store'
import { createLogger } from '@ema/server-kit'
import { createRedisTaskStore } from '../src/redis-task-store.ts'
import { TaskLimitError } from '../src/task-store.ts'

let redis: RunningRedisServer
let connection: RedisConnection
const owner = { iss: 'https://as.example', sub: 'u-1' }
const record = (at: string) => ({ sub: 'u-1', actor: 'tasks-mcp-server', client_id: 'acme-agent-tasks', at })

before(async () => {
  redis = await startRedisServer(process.env.REDIS_SERVER === undefined ? {} : { command: process.env.REDIS_SERVER })
  connection = connectRedis({ url: redis.url, log: createLogger({ name: 'test', write: () => {} }) })
  const deadline = Date.now() + 5000
  while (!connection.isReady) {
    assert.ok(Date.now() < deadline, 'connected within 5 s')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
})

after(async () => {
  await connection.close()
  await redis.stop()
})

test('the per-user limit holds under concurrent adds (one script per add): 10 at once, limit 3 → exactly 3 kept', async () => {
  const store = createRedisTaskStore({ connection, prefix: 'test:limit', maxTasksPerUser: 3 })
  const results = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) => store.add(owner, `task ${i}`, record(new Date().toISOString()))),
  )
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3)
  for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof TaskLimitError)
  assert.equal((await store.list(owner)).length, 3)
  assert.equal((await store.writes()).length, 3, 'a refused add records no write')
})

test('keys are namespaced by prefix and the owner is hashed; clear empties only its own deployment', async () => {
  const a = createRedisTaskStore({ connection, prefix: 'test:a' })
  const b = createRedisTaskStore({ connection, prefix: 'test:b' })
  await a.add(owner, 'in a', record('2026-01-01T00:00:00.000Z'))
  await b.add(owner, 'in b', record('2026-01-01T00:00:00.000Z'))
  const keys = await connection.run((client) => client.keys('test:a:*'))
  assert.ok(keys.length > 0)
  for (const key of keys) assert.ok(!key.includes(owner.sub) && !key.includes('as.example'), key)
  await a.clear()
  assert.deepEqual(await a.list(owner), [])
  assert.deepEqual(await a.writes(), [])
  assert.deepEqual(
    (await b.list(owner)).map((task) => task.title),
    ['in b'],
  )
})
