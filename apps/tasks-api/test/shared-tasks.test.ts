/**
 * Decision 0090, issue 14: two Tasks API processes (the real main.ts) on one real redis-server, ports
 * 5775-5777. A task added through one instance is listed through the other; a restart keeps it; the
 * demo reset at one instance empties the lists for both; Redis down → 503 temporarily_unavailable
 * JSON, no 500, no hang; Redis back → served again without a restart.
 */
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'
import { probeHealth, startRedisServer, waitForReady, type RunningRedisServer } from '@ema/demo-kit'
import { startRoleProcess, type RoleProcess } from '@ema/test-kit'
import { ALICE, startAuthorizationServer, type FakeAuthorizationServer } from './support/tasks-api.ts'

const APP = fileURLToPath(new URL('..', import.meta.url))
const IDENTIFIER = 'http://localhost:5775' // the deployment's identifier (the balancer's), the tokens' aud
const INSTANCE = ['http://localhost:5776', 'http://localhost:5777'] as const
const SECRET = 'shared-tasks-demo-reset-secret'

let redis: RunningRedisServer
let as: FakeAuthorizationServer
const instances: RoleProcess[] = []

async function startInstance(index: 0 | 1): Promise<RoleProcess> {
  const role = await startRoleProcess({
    cwd: APP,
    env: {
      TASKS_API_URL: IDENTIFIER,
      TASKS_API_PORT: new URL(INSTANCE[index]).port,
      AS_ISSUER: as.issuer,
      ALLOW_INSECURE_HTTP: 'true',
      REDIS_URL: redis.url,
      REDIS_COMMAND_TIMEOUT_MS: '1000', // the default; a tighter one turns a loaded CI machine into 503s
      SHUTDOWN_TIMEOUT_MS: '3000',
      DEMO_RESET: 'true',
      DEMO_RESET_SECRET: SECRET,
    },
    readyUrl: `${INSTANCE[index]}/healthz`,
  })
  instances[index] = role
  return role
}

async function addTask(index: 0 | 1, title: string): Promise<Response> {
  return fetch(`${INSTANCE[index]}/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await as.mint()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title }),
  })
}

async function listTasks(index: 0 | 1, subject = ALICE): Promise<Response> {
  return fetch(`${INSTANCE[index]}/tasks`, { headers: { authorization: `Bearer ${await as.mint({ subject })}` } })
}

async function titles(index: 0 | 1, subject = ALICE): Promise<string[]> {
  const response = await listTasks(index, subject)
  assert.equal(response.status, 200, await response.clone().text())
  return ((await response.json()) as { tasks: Array<{ title: string }> }).tasks.map((task) => task.title)
}

before(async () => {
  redis = await startRedisServer(process.env.REDIS_SERVER === undefined ? {} : { command: process.env.REDIS_SERVER })
  as = await startAuthorizationServer(() => IDENTIFIER)
  await Promise.all([startInstance(0), startInstance(1)])
})

after(async () => {
  for (const role of instances) role.kill()
  await as.close()
  await redis.stop()
})

test('a task added through instance 1 is listed through instance 2, for its owner only', async () => {
  assert.equal((await fetch(`${INSTANCE[1]}/readyz`)).status, 200, 'Redis and the AS keys are at hand')
  const added = await addTask(0, 'written at instance 1')
  assert.equal(added.status, 201, await added.clone().text())
  const { task } = (await added.json()) as { task: { id: string; added_by: { sub: string; actor: string } } }
  assert.equal(task.added_by.sub, ALICE)
  assert.equal(task.added_by.actor, 'tasks-mcp-server')
  assert.deepEqual(await titles(1), ['written at instance 1'])
  assert.deepEqual(await titles(1, 'acme|u-1002'), [], "another user's list is their own")
})

test('a restart keeps the tasks; the demo reset at one instance empties them for both', async () => {
  instances[1]!.child.kill('SIGTERM')
  assert.deepEqual(await instances[1]!.exited, { code: 0, signal: null }, instances[1]!.output())
  await startInstance(1)
  assert.deepEqual(await titles(1), ['written at instance 1'], 'kept across the restart')

  const reset = await fetch(`${INSTANCE[0]}/demo/reset`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SECRET}` },
  })
  assert.equal(reset.status, 200)
  assert.deepEqual(await titles(1), [])
  assert.equal((await addTask(1, 'after the reset')).status, 201, 'writes work after a reset')
  assert.deepEqual(await titles(0), ['after the reset'])
})

test('Redis down: 503 temporarily_unavailable within the timeout at both instances, /readyz 503, /healthz 200; back: served again without a restart', async () => {
  await redis.stop()
  try {
    for (const index of [0, 1] as const) {
      const started = Date.now()
      for (const response of [
        await listTasks(index),
        await addTask(index, 'while Redis is down'),
        await fetch(`${INSTANCE[index]}/demo/reset`, {
          method: 'POST',
          headers: { authorization: `Bearer ${SECRET}` },
        }),
      ]) {
        assert.equal(response.status, 503)
        const body = (await response.json()) as { error: string; error_description: string }
        assert.equal(body.error, 'temporarily_unavailable')
        assert.equal(typeof body.error_description, 'string')
      }
      assert.ok(Date.now() - started < 3000, 'no hang')
      assert.deepEqual(await probeHealth(INSTANCE[index]), { healthz: 200, readyz: 503 }, 'out of rotation, alive')
    }
  } finally {
    await redis.start()
  }
  await Promise.all(INSTANCE.map((origin) => waitForReady(`${origin}/readyz`, 10_000))) // each reconnects on its own
  assert.equal((await addTask(1, 'after Redis came back')).status, 201)
  assert.deepEqual(await titles(0), ['after Redis came back'], 'this Redis keeps nothing across its own restart')
  for (const role of instances) assert.doesNotMatch(role.output(), /server_error/)
})

test('SIGTERM: each instance drains, closes Redis and exits 0', async () => {
  for (const role of instances) role.child.kill('SIGTERM')
  for (const role of instances) assert.deepEqual(await role.exited, { code: 0, signal: null }, role.output())
})
