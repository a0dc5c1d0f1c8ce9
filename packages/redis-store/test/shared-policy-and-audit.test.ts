/**
 * Decision 0080: the versioned document (the IdP's policy) and the audit trail on a real redis-server,
 * shared by two connections (two instances), failing closed and fast when Redis is gone, working again
 * when it is back.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { AuditEvent } from '@ema/server-kit'
import { RedisAuditTrail, RedisVersionedDocument, auditKey, documentKey } from '../src/index.ts'
import {
  assertUnavailableWithin,
  twoInstancesOnOneRedis,
  waitUntil,
  type TwoInstancesOnOneRedis,
} from './support/redis-server.ts'

let shared: TwoInstancesOnOneRedis
before(async () => {
  shared = await twoInstancesOnOneRedis(5807)
})
after(() => shared.close())

const event = (jti: string): AuditEvent => ({
  time: new Date().toISOString(),
  role: 'idp',
  event: 'token_exchange',
  decision: 'granted',
  jti,
})

describe('RedisVersionedDocument', () => {
  test('IDP-13 a write at one instance is seen at the other by its revision; a cleared document keeps a new revision', async () => {
    const first = new RedisVersionedDocument({ connection: shared.one, prefix: 'test:doc', name: 'policy:default' })
    const second = new RedisVersionedDocument({ connection: shared.two, prefix: 'test:doc', name: 'policy:default' })
    assert.equal(first.key, documentKey('test:doc', 'policy:default'))
    assert.deepEqual(await second.read(), { revision: '', text: undefined })
    const written = await first.write('{"v":1}', '')
    assert.equal(typeof written, 'string')
    assert.equal(await second.revision(), written)
    assert.deepEqual(await second.read(), { revision: written, text: '{"v":1}' })
    const cleared = await second.write(undefined)
    assert.notEqual(cleared, written, 'a reset is a new revision: a kept copy of the edit is never taken for current')
    assert.deepEqual(await first.read(), { revision: cleared, text: undefined })
  })

  test('IDP-13 writes are compare-and-set: of two edits from the same revision, one wins, the other is told', async () => {
    const a = new RedisVersionedDocument({ connection: shared.one, prefix: 'test:cas', name: 'policy:default' })
    const b = new RedisVersionedDocument({ connection: shared.two, prefix: 'test:cas', name: 'policy:default' })
    const base = (await a.read()).revision
    const results = await Promise.all([a.write('{"from":"a"}', base), b.write('{"from":"b"}', base)])
    assert.equal(results.filter((result) => result !== undefined).length, 1)
    const winner = results.find((result) => result !== undefined)
    assert.equal((await a.read()).revision, winner)
  })
})

describe('RedisAuditTrail', () => {
  test('IDP-13 events appended at one instance are read at the other, newest first, capped', async () => {
    const first = new RedisAuditTrail({ connection: shared.one, prefix: 'test:audit', keep: 5 })
    const second = new RedisAuditTrail({ connection: shared.two, prefix: 'test:audit', keep: 5 })
    for (let i = 1; i <= 200; i++) await first.append(event(String(i)))
    const recent = await second.recent()
    assert.deepEqual(
      recent.slice(0, 3).map((e) => e.jti),
      ['200', '199', '198'],
    )
    assert.ok(recent.length <= 5)
    const length = await shared.one.run((redis) => redis.xLen(auditKey('test:audit')))
    assert.ok(length < 200, `the stream is trimmed (MAXLEN ~), it holds ${length}`)
  })
})

describe('when Redis is gone', () => {
  test('IDP-13 every operation fails closed within the command timeout, and works again when Redis is back', async () => {
    const document = new RedisVersionedDocument({ connection: shared.one, prefix: 'test:down', name: 'policy:default' })
    const trail = new RedisAuditTrail({ connection: shared.one, prefix: 'test:down' })
    await shared.redis.stop()
    try {
      await assertUnavailableWithin(() => document.revision(), 1_000)
      await assertUnavailableWithin(() => document.read(), 1_000)
      await assertUnavailableWithin(() => document.write('{}'), 1_000)
      await assertUnavailableWithin(() => trail.append(event('x')), 1_000)
      await assertUnavailableWithin(() => trail.recent(), 1_000)
    } finally {
      await shared.redis.start()
    }
    await waitUntil(() => shared.one.isReady, 5_000)
    assert.equal(await document.revision(), '')
    await trail.append(event('back'))
    assert.equal((await trail.recent())[0]?.jti, 'back')
  })
})
