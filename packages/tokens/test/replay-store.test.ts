import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InMemoryReplayStore, TemporarilyUnavailableError } from '../src/index.ts'

const START = new Date('2025-06-01T12:00:00Z').getTime()

/** A clock the test moves by hand. */
function manualClock(): { now: () => Date; advance: (ms: number) => void } {
  let t = START
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms
    },
  }
}
const at = (offsetMs: number) => new Date(START + offsetMs)

async function assertTemporarilyUnavailable(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(
      error instanceof TemporarilyUnavailableError,
      `expected TemporarilyUnavailableError, got ${String(error)}`,
    )
    assert.equal(error.error, 'temporarily_unavailable')
    assert.equal(error.status, 503)
    assert.match(error.description, /too many assertions are in flight/)
    return true
  })
}

describe('InMemoryReplayStore', () => {
  test('AS-23 the first use of a jti is accepted and the second refused', async () => {
    const clock = manualClock()
    const store = new InMemoryReplayStore({ now: clock.now })
    assert.equal(await store.markUsed('jti-1', at(300_000)), true)
    assert.equal(await store.markUsed('jti-1', at(300_000)), false)
    assert.equal(await store.markUsed('jti-1', at(900_000)), false)
    assert.equal(await store.markUsed('jti-2', at(300_000)), true)
  })

  test('AS-23 of 50 concurrent uses of one jti exactly one succeeds', async () => {
    const store = new InMemoryReplayStore()
    const expiresAt = new Date(Date.now() + 300_000)
    const results = await Promise.all(Array.from({ length: 50 }, () => store.markUsed('same-jti', expiresAt)))
    assert.equal(results.filter((r) => r).length, 1)
    assert.equal(results.filter((r) => !r).length, 49)
  })

  test('AS-23 a live entry survives many other inserts', async () => {
    const clock = manualClock()
    const store = new InMemoryReplayStore({ now: clock.now, maxEntries: 10_000 })
    assert.equal(await store.markUsed('victim', at(600_000)), true)
    for (let i = 0; i < 5_000; i++) {
      assert.equal(await store.markUsed(`other-${i}`, at(600_000)), true)
      if (i % 1000 === 0) clock.advance(11_000) // let several sweeps run while everything is still live
    }
    assert.equal(await store.markUsed('victim', at(600_000)), false)
  })

  test('SEC-05 AS-23 refuses new ids when full instead of evicting a live entry', async () => {
    const clock = manualClock()
    const store = new InMemoryReplayStore({ now: clock.now, maxEntries: 3 })
    for (const id of ['a', 'b', 'c']) assert.equal(await store.markUsed(id, at(60_000)), true)
    await assertTemporarilyUnavailable(store.markUsed('d', at(60_000)))
    clock.advance(30_000) // still live; a forced sweep must not free anything
    await assertTemporarilyUnavailable(store.markUsed('e', at(60_000)))
    assert.equal(store.size, 3)
    for (const id of ['a', 'b', 'c'])
      assert.equal(await store.markUsed(id, at(60_000)), false, `${id} must still be remembered`)
    // 'd' was refused, not recorded
    clock.advance(31_000)
    assert.equal(await store.markUsed('d', at(200_000)), true)
  })

  test('SEC-05 AS-23 warns once at 80 % of its capacity, and again only after falling under 70 %', async () => {
    const clock = manualClock()
    const warnings: Array<[number, number]> = []
    const store = new InMemoryReplayStore({
      now: clock.now,
      maxEntries: 10,
      onNearlyFull: (size, max) => warnings.push([size, max]),
    })
    for (let i = 0; i < 7; i++) await store.markUsed(`a${i}`, at(10_000))
    assert.deepEqual(warnings, [])
    await store.markUsed('a7', at(10_000))
    assert.deepEqual(warnings, [[8, 10]])
    await store.markUsed('a8', at(10_000))
    assert.equal(warnings.length, 1, 'once per crossing')
    clock.advance(10_000) // all expired; the next sweep empties the store and re-arms the warning
    for (let i = 0; i < 8; i++) await store.markUsed(`b${i}`, at(30_000))
    assert.deepEqual(warnings, [
      [8, 10],
      [8, 10],
    ])
  })

  test('AS-23 a replay is still detected when the store is full', async () => {
    const clock = manualClock()
    const store = new InMemoryReplayStore({ now: clock.now, maxEntries: 1 })
    assert.equal(await store.markUsed('only', at(60_000)), true)
    assert.equal(await store.markUsed('only', at(60_000)), false)
  })

  test('AS-23 expired entries are swept and the id can be used again after expiry', async () => {
    const clock = manualClock()
    const store = new InMemoryReplayStore({ now: clock.now, maxEntries: 2 })
    assert.equal(await store.markUsed('a', at(60_000)), true)
    assert.equal(await store.markUsed('b', at(60_000)), true)
    clock.advance(59_999)
    assert.equal(await store.markUsed('a', at(60_000)), false, 'still live one millisecond before expiry')
    await assertTemporarilyUnavailable(store.markUsed('c', at(120_000)))
    clock.advance(1) // now == expiresAt: expired
    assert.equal(await store.markUsed('c', at(120_000)), true, 'a full store sweeps expired entries')
    assert.equal(store.size, 1)
    assert.equal(await store.markUsed('a', at(120_000)), true, 'an expired id may be used again')
    assert.equal(await store.markUsed('a', at(120_000)), false)
  })

  test('AS-23 periodic sweeping removes expired entries even below capacity', async () => {
    const clock = manualClock()
    const store = new InMemoryReplayStore({ now: clock.now })
    for (let i = 0; i < 100; i++) await store.markUsed(`old-${i}`, at(5_000))
    assert.equal(store.size, 100)
    clock.advance(20_000)
    await store.markUsed('new', at(80_000))
    assert.equal(store.size, 1)
  })
})

test('InMemoryReplayStore.clear forgets every jti (the demo reset)', async () => {
  const store = new InMemoryReplayStore()
  const expiresAt = new Date(Date.now() + 60_000)
  assert.equal(await store.markUsed('jti-1', expiresAt), true)
  assert.equal(await store.markUsed('jti-1', expiresAt), false)
  store.clear()
  assert.equal(store.size, 0)
  assert.equal(await store.markUsed('jti-1', expiresAt), true)
})
