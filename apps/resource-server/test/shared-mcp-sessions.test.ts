/**
 * Decision 0090, issue 14: two MCP server processes (the real main.ts) on one real redis-server, ports
 * 5770-5774. An MCP session opened at one instance is served at the other for its owner and refused for
 * anyone else (RS-19); a restart keeps it; DELETE at one instance ends it at both; Redis down → 503
 * JSON, no 500, no hang; Redis back → served again without a restart.
 */
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'
import { probeHealth, startRedisServer, waitForReady, type RunningRedisServer } from '@ema/demo-kit'
import { startRoleProcess, type RoleProcess } from '@ema/test-kit'
import {
  ALICE,
  BOB,
  INITIALIZE,
  postMcp,
  startAuthorizationServer,
  type FakeAuthorizationServer,
} from './support/resource-server.ts'

const APP = fileURLToPath(new URL('..', import.meta.url))
// One deployment: one resource identifier (the balancer's), two instances on their own ports.
const RESOURCE = 'http://localhost:5770/mcp'
const INSTANCE = ['http://localhost:5771', 'http://localhost:5772'] as const
const VERSION = { 'mcp-protocol-version': '2025-06-18' }
const TOOLS_LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }

let redis: RunningRedisServer
let as: FakeAuthorizationServer & { audience?: string }
const instances: RoleProcess[] = []

async function startInstance(index: 0 | 1): Promise<RoleProcess> {
  const role = await startRoleProcess({
    cwd: APP,
    env: {
      RS_RESOURCE: RESOURCE,
      RS_PORT: new URL(INSTANCE[index]).port,
      RS_ALLOWED_HOSTS: 'localhost:5771,localhost:5772',
      AS_ISSUER: as.issuer,
      ALLOW_INSECURE_HTTP: 'true',
      REDIS_URL: redis.url,
      REDIS_COMMAND_TIMEOUT_MS: '1000', // the default; a tighter one turns a loaded CI machine into 503s
      SHUTDOWN_TIMEOUT_MS: '3000',
      AUDIT_LOG: 'off',
      LOG_LEVEL: 'debug',
    },
    readyUrl: `${INSTANCE[index]}/healthz`,
  })
  instances[index] = role
  return role
}

const at = (index: 0 | 1) => `${INSTANCE[index]}/mcp`
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** initialize + notifications/initialized at `index`; returns the session id. */
async function openSession(index: 0 | 1, token: string): Promise<string> {
  const initialized = await postMcp(at(index), INITIALIZE, bearer(token))
  assert.equal(initialized.status, 200, await initialized.clone().text())
  assert.match(await initialized.text(), /"protocolVersion"/)
  const id = initialized.headers.get('mcp-session-id')
  assert.ok(id !== null && /^[0-9a-f-]{36}$/.test(id), `a session id: ${String(id)}`)
  const notified = await postMcp(
    at(index),
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { ...bearer(token), ...VERSION, 'mcp-session-id': id },
  )
  assert.equal(notified.status, 202)
  return id
}

function listTools(index: 0 | 1, token: string, sessionId: string): Promise<Response> {
  return postMcp(at(index), TOOLS_LIST, { ...bearer(token), ...VERSION, 'mcp-session-id': sessionId })
}

before(async () => {
  redis = await startRedisServer(process.env.REDIS_SERVER === undefined ? {} : { command: process.env.REDIS_SERVER })
  as = await startAuthorizationServer()
  as.audience = RESOURCE
  await Promise.all([startInstance(0), startInstance(1)])
})

after(async () => {
  for (const role of instances) role.kill()
  await as.close()
  await redis.stop()
})

test('RS-19 a session opened at instance 1 is served at instance 2 for its owner, refused (404) for another user at either', async () => {
  const alice = await as.mint({ subject: ALICE })
  const bob = await as.mint({ subject: BOB })
  const session = await openSession(0, alice)

  const served = await listTools(1, alice, session)
  assert.equal(served.status, 200, await served.clone().text())
  assert.equal(served.headers.get('mcp-session-id'), session, 'the response names the session')
  assert.match(await served.text(), /"name":"whoami"/)

  for (const index of [1, 0] as const) {
    const refused = await listTools(index, bob, session)
    assert.equal(refused.status, 404, `bob's token on alice's session at instance ${index + 1}`)
    assert.deepEqual(await refused.json(), {
      jsonrpc: '2.0',
      error: { code: -32001, message: 'Session not found' },
      id: null,
    })
  }
  assert.match(instances[1]!.output(), /refused: session used with another principal's token/)
  const unknown = await listTools(1, alice, crypto.randomUUID())
  assert.equal(unknown.status, 404, 'an unknown session is the same 404')
  assert.doesNotMatch(
    instances[0]!.output() + instances[1]!.output(),
    new RegExp(alice.split('.')[2]!),
    'no token logged',
  )
})

test('a session survives a restart of the instance that opened it; GET is 405; DELETE at one instance ends it at both', async () => {
  const alice = await as.mint({ subject: ALICE })
  const session = await openSession(0, alice)
  instances[0]!.child.kill('SIGTERM')
  assert.deepEqual(await instances[0]!.exited, { code: 0, signal: null }, instances[0]!.output())
  await startInstance(0)
  assert.equal((await listTools(0, alice, session)).status, 200, 'kept across the restart')

  const stream = await fetch(at(1), {
    headers: { ...bearer(alice), ...VERSION, 'mcp-session-id': session, accept: 'text/event-stream' },
  })
  assert.equal(stream.status, 405)
  assert.equal(stream.headers.get('allow'), 'POST, DELETE')

  const ended = await fetch(at(1), {
    method: 'DELETE',
    headers: { ...bearer(alice), ...VERSION, 'mcp-session-id': session },
  })
  assert.equal(ended.status, 200)
  assert.equal((await listTools(0, alice, session)).status, 404, 'ended for every instance')
})

test('Redis down: 503 temporarily_unavailable within the timeout at both instances, /readyz 503, /healthz 200; Redis back: served again without a restart', async () => {
  const alice = await as.mint({ subject: ALICE })
  const session = await openSession(1, alice)
  await redis.stop()
  try {
    for (const index of [0, 1] as const) {
      const started = Date.now()
      const named = await listTools(index, alice, session)
      assert.equal(named.status, 503)
      assert.deepEqual(Object.keys((await named.json()) as object).sort(), ['error', 'error_description'])
      const opening = await postMcp(at(index), INITIALIZE, bearer(alice))
      assert.equal(opening.status, 503)
      assert.equal(((await opening.json()) as { error: string }).error, 'temporarily_unavailable')
      assert.ok(Date.now() - started < 3000, 'no hang')
      assert.deepEqual(await probeHealth(INSTANCE[index]), { healthz: 200, readyz: 503 }, 'out of rotation, alive')
    }
  } finally {
    await redis.start()
  }
  // This Redis keeps nothing across its restart (no persistence), so the session is gone: 404, and a new one works.
  await Promise.all(INSTANCE.map((origin) => waitForReady(`${origin}/readyz`, 10_000))) // each reconnects on its own
  assert.equal((await listTools(0, alice, session)).status, 404)
  const fresh = await openSession(0, alice)
  assert.equal((await listTools(1, alice, fresh)).status, 200)
  for (const role of instances) assert.doesNotMatch(role.output(), /"status":500|server_error/)
})

test('SIGTERM: each instance drains, closes Redis and exits 0', async () => {
  for (const role of instances) role.child.kill('SIGTERM')
  for (const role of instances) assert.deepEqual(await role.exited, { code: 0, signal: null }, role.output())
})
