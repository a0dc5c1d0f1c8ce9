/**
 * AS-23, SEC-05: the Redis replay store against a real redis-server (decision 0040): atomic across
 * connections, expiring at the assertion's exp, namespaced, and failing closed, fast, when Redis is
 * gone or hung, then working again when it is back, without a new connection.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { RedisReplayStore, replayKey, type RedisConnection } from '../src/index.ts'
import {
  assertUnavailableWithin,
  twoInstancesOnOneRedis,
  waitUntil,
  type RunningRedisServer,
  type TwoInstancesOnOneRedis,
} from './support/redis-server.ts'

let redis: RunningRedisServer
let one: RedisConnection
let two: RedisConnection

let shared: TwoInstancesOnOneRedis

before(async () => {
  shared = await twoInstancesOnOneRedis()
  ;({ redis, one, two } = shared)
})
after(() => shared.close())

const inAMinute = () => new Date(Date.now() + 60_000)

describe('RedisReplayStore', () => {
  test('AS-23 the first use of an id is true, every later one false', async () => {
    const store = new RedisReplayStore({ connection: one, prefix: 'test:first' })
    assert.equal(await store.markUsed('https://idp.example jti-1', inAMinute()), true)
    assert.equal(await store.markUsed('https://idp.example jti-1', inAMinute()), false)
    assert.equal(await store.markUsed('https://idp.example jti-2', inAMinute()), true)
  })

  test('AS-23 SEC-05 of 50 concurrent uses of one id over two connections, exactly one is first', async () => {
    const stores = [
      new RedisReplayStore({ connection: one, prefix: 'test:race' }),
      new RedisReplayStore({ connection: two, prefix: 'test:race' }),
    ]
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => stores[i % 2]!.markUsed('https://idp.example race', inAMinute())),
    )
    assert.equal(answers.filter(Boolean).length, 1)
  })

  test('AS-23 an entry lives until expiresAt (exp + skew) and no longer', async () => {
    const store = new RedisReplayStore({ connection: one, prefix: 'test:ttl' })
    const expiresAt = new Date(Date.now() + 30_000)
    await store.markUsed('iss jti-ttl', expiresAt)
    const ttl = await one.client.pTTL(replayKey('test:ttl', 'iss jti-ttl'))
    assert.ok(ttl > 28_000 && ttl <= 30_000, `PTTL ${ttl}`)
    await store.markUsed('iss jti-short', new Date(Date.now() + 150))
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(await store.markUsed('iss jti-short', inAMinute()), true, 'gone once expired')
  })

  test('keys are <prefix>:replay:<sha256(id)>: deployments do not see each other, and no id is readable', async () => {
    const a = new RedisReplayStore({ connection: one, prefix: 'test:deployment-a' })
    const b = new RedisReplayStore({ connection: one, prefix: 'test:deployment-b' })
    assert.equal(await a.markUsed('iss shared-jti', inAMinute()), true)
    assert.equal(await b.markUsed('iss shared-jti', inAMinute()), true, 'another deployment has its own namespace')
    const keys = await one.client.keys('test:deployment-a:*')
    assert.deepEqual(keys, [replayKey('test:deployment-a', 'iss shared-jti')])
    assert.match(keys[0]!, /^test:deployment-a:replay:[A-Za-z0-9_-]{43}$/)
    assert.ok(!keys[0]!.includes('shared-jti'))
  })

  test('fails closed: Redis stopped → StoreUnavailableError at once; back → works again without a new connection', async () => {
    const store = new RedisReplayStore({ connection: one, prefix: 'test:outage' })
    assert.equal(await store.markUsed('iss before', inAMinute()), true)
    await one.ping()
    await redis.stop()
    await assertUnavailableWithin(() => one.ping(), 1_000)
    const error = await assertUnavailableWithin(() => store.markUsed('iss during', inAMinute()), 1_000)
    assert.ok(error.cause !== undefined, 'the client error is kept as the cause, for logs')
    assert.equal(one.isReady, false)
    await redis.start()
    await waitUntil(() => one.isReady, 5_000)
    await one.ping()
    assert.equal(await store.markUsed('iss during', inAMinute()), true)
    assert.equal(await store.markUsed('iss during', inAMinute()), false)
  })

  test('fails closed: a hung Redis (SIGSTOP) → StoreUnavailableError within the command timeout, not a hang', async () => {
    const store = new RedisReplayStore({ connection: two, prefix: 'test:hung' })
    await waitUntil(() => two.isReady, 5_000)
    redis.pause()
    try {
      await assertUnavailableWithin(() => store.markUsed('iss hung', inAMinute()), 1_500)
    } finally {
      redis.resume()
    }
    await waitUntil(async () => {
      try {
        await two.ping()
        return true
      } catch {
        return false
      }
    }, 5_000)
    assert.equal(await store.markUsed('iss after-hang', inAMinute()), true)
  })
})
