import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InMemoryRevocationStore, TemporarilyUnavailableError } from '../src/index.ts'

const START = new Date('2025-06-01T12:00:00Z').getTime()

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

describe('InMemoryRevocationStore (RFC 7009, decision 0060)', () => {
  test('a revoked jti is revoked until its exp, then forgotten', async () => {
    const clock = manualClock()
    const store = new InMemoryRevocationStore({ now: clock.now })
    assert.equal(await store.isRevoked('a'), false)
    await store.revoke('a', at(60_000))
    assert.equal(await store.isRevoked('a'), true)
    assert.equal(await store.isRevoked('b'), false)
    clock.advance(60_000)
    assert.equal(await store.isRevoked('a'), false)
  })

  test('revoking twice is idempotent and never shortens the entry', async () => {
    const store = new InMemoryRevocationStore({ now: manualClock().now })
    await store.revoke('a', at(60_000))
    await store.revoke('a', at(1_000))
    assert.equal(store.size, 1)
    assert.equal(await store.isRevoked('a'), true)
  })

  test('a full store refuses a new revocation with 503 and never evicts a live entry', async () => {
    const store = new InMemoryRevocationStore({ now: manualClock().now, maxEntries: 1 })
    await store.revoke('a', at(60_000))
    await assert.rejects(store.revoke('b', at(60_000)), (error: unknown) => {
      assert.ok(error instanceof TemporarilyUnavailableError)
      return true
    })
    assert.equal(await store.isRevoked('a'), true)
  })
})
