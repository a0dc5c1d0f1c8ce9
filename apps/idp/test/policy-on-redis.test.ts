/**
 * Decision 0080: the administrator's policy and the audit trail on a real redis-server (port 5806),
 * shared by two IdP instances of one deployment: concurrent edits are never lost, a stored policy that
 * does not fit the world refuses rather than guesses, and a Redis that is gone or hung fails closed,
 * in the admin console too (a 503 page that says why, never a 500). The same with two IdP processes:
 * interop/tests/admin-policy-on-redis.test.ts.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startRedisServer, type RunningRedisServer } from '@ema/demo-kit'
import { createLogger } from '@ema/server-kit'
import { connectRedis, documentKey, RedisAuditTrail, type RedisConnection } from '@ema/redis-store'
import { generateSigningKey, type SigningKey } from '@ema/tokens'
import { openRedisPolicyStore } from '../src/policy/redis-policy-store.ts'
import {
  ACME_AGENT,
  RS_RESOURCE,
  csrfOf,
  exchange,
  signIn,
  signInAtConsole,
  startIdp,
  type TestIdp,
} from './support/idp.ts'

const PREFIX = 'test:idp-policy'
const ADMIN = `Basic ${Buffer.from('admin:admin-password').toString('base64')}`
let redis: RunningRedisServer
let signingKey: SigningKey
const connections: RedisConnection[] = []
const instances: TestIdp[] = []
let one: TestIdp
let two: TestIdp
let bob: string

/** One instance: its own Redis connection, the deployment's issuer and key, the policy and trail on Redis. */
async function startInstance(issuer?: string): Promise<TestIdp> {
  const log = createLogger({ name: 'redis', write: () => {} })
  const connection = connectRedis({ url: redis.url, commandTimeoutMs: 300, maxReconnectDelayMs: 100, log })
  connections.push(connection)
  const instance = await startIdp({
    ...(issuer === undefined ? {} : { issuer }),
    signingKey,
    policyStore: (config) =>
      openRedisPolicyStore({
        demoPolicy: config.policy,
        world: config,
        connection,
        prefix: PREFIX,
        variant: config.policyVariant,
        log: createLogger({ name: 'idp', write: (line) => instanceLogs.push(line) }),
      }),
    auditTrail: new RedisAuditTrail({ connection, prefix: PREFIX }),
  })
  instances.push(instance)
  const deadline = Date.now() + 5_000
  while (!connection.isReady) {
    assert.ok(Date.now() < deadline, 'connected to Redis')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return instance
}
const instanceLogs: string[] = []

before(async () => {
  redis = await startRedisServer({
    port: 5806,
    ...(process.env.REDIS_SERVER === undefined ? {} : { command: process.env.REDIS_SERVER }),
  })
  signingKey = await generateSigningKey('ES256')
  one = await startInstance()
  two = await startInstance(one.url)
  bob = await signIn(one, { client: ACME_AGENT, username: 'bob', password: 'bob-password' })
})
after(async () => {
  await Promise.all(instances.map((instance) => instance.close()))
  await Promise.all(connections.map((connection) => connection.close()))
  await redis.stop()
})

const api = async (instance: TestIdp, method: string, path: string, body?: unknown) => {
  const res = await fetch(new URL(`/admin/api${path}`, instance.listeningUrl), {
    method,
    headers: { authorization: ADMIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
const exchangeAt = (instance: TestIdp, subjectToken: string) =>
  exchange({ url: instance.listeningUrl }, { subject_token: subjectToken }, ACME_AGENT)

test('IDP-13 edits made at the same moment at two instances are both kept (compare-and-set on the revision)', async () => {
  const answers = await Promise.all([
    api(one, 'PUT', '/users/bob', { disabled: true }),
    api(two, 'PUT', '/users/carol', { disabled: true }),
    api(one, 'PUT', '/client-access', { client: 'other-app', resource: RS_RESOURCE, enabled: false }),
  ])
  assert.deepEqual(
    answers.map((answer) => answer.status),
    [200, 200, 200],
  )
  const policy = (await api(two, 'GET', '/policy')).body
  assert.deepEqual([...(policy.disabledUsers as string[])].sort(), ['bob', 'carol'])
  assert.equal((policy.disabledClientAccess as unknown[]).length, 1)
  assert.equal((await exchangeAt(two, bob)).body.error, 'access_denied')
  assert.equal((await api(two, 'POST', '/reset')).status, 200)
  assert.equal((await exchangeAt(one, bob)).status, 200)
})

test('IDP-13 a stored policy that does not fit this IdP world refuses the exchange with 503 and says so in the log, never decides on a guess', async () => {
  const key = documentKey(PREFIX, `policy:${one.config.policyVariant}`)
  const connection = connections[0]!
  const [revision] = await connection.run((client) => client.hmGet(key, ['revision']))
  await connection.run((client) =>
    client.hSet(key, { text: JSON.stringify({ rules: [], disabledUsers: ['mallory'] }), revision: 'foreign' }),
  )
  try {
    const answer = await exchangeAt(two, bob)
    assert.equal(answer.status, 503)
    assert.deepEqual(answer.body, {
      error: 'temporarily_unavailable',
      error_description: "the administrator's policy cannot be read; try again later",
    })
    assert.ok(
      instanceLogs.some((line) => line.includes('is not valid for this IdP') && line.includes('mallory')),
      instanceLogs.join('\n'),
    )
  } finally {
    await connection.run((client) => client.hDel(key, 'text'))
    await connection.run((client) => client.hSet(key, 'revision', `${revision ?? ''}-restored`))
  }
  assert.equal((await exchangeAt(two, bob)).status, 200)
})

test('IDP-13 Redis stopped: the console answers a 503 page that says why, for a page and for a form post; no 500', async () => {
  const admin = await signInAtConsole(one.listeningUrl, 'admin', 'admin-password')
  assert.equal(admin.res.status, 303)
  const dashboard = await admin.request('GET', '/admin')
  assert.equal(dashboard.status, 200)
  const csrf = csrfOf(dashboard.html)
  await redis.stop()
  try {
    const page = await admin.request('GET', '/admin')
    assert.equal(page.status, 503)
    assert.match(page.html, /The shared store \(Redis\) that keeps the policy and the audit trail cannot be reached/)
    assert.equal((await admin.request('GET', '/admin/audit')).status, 503)
    const post = await admin.request('POST', '/admin/users/bob', { disabled: 'true', csrf })
    assert.equal(post.status, 503)
    assert.match(post.html, /Not saved: the shared store \(Redis\) .* cannot be reached\. Try again in a moment\./)
    const refused = await exchangeAt(one, bob)
    assert.equal(refused.status, 503)
    assert.equal(refused.body.error, 'temporarily_unavailable')
  } finally {
    await redis.start()
  }
  const deadline = Date.now() + 5_000
  while ((await admin.request('GET', '/admin')).status !== 200) {
    assert.ok(Date.now() < deadline, 'the console works again once Redis is back')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
})

test('IDP-13 Redis hung (SIGSTOP): the exchange is refused with 503 within the command timeout, never a hang', async () => {
  await exchangeAt(one, bob) // connected
  redis.pause()
  try {
    const started = Date.now()
    const answer = await exchangeAt(two, bob)
    const took = Date.now() - started
    assert.equal(answer.status, 503)
    assert.equal(answer.body.error, 'temporarily_unavailable')
    assert.ok(took < 2_000, `answered in ${took} ms`)
  } finally {
    redis.resume()
  }
  const deadline = Date.now() + 5_000
  while ((await exchangeAt(two, bob)).status !== 200) {
    assert.ok(Date.now() < deadline, 'served again once Redis answers')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
})
