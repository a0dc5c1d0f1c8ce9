import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { InMemoryReplayStore } from '@ema/tokens'
import {
  decodeClaims,
  mintIdJag,
  readRefusal,
  redeem,
  startAs,
  startFaultyIdp,
  type FaultyIdp,
  type TestAs,
} from './support/jwt-bearer.ts'

/**
 * Faults and limits at the MCP authorization server, over real HTTP: the IdP's JWKS endpoint goes
 * down, slows, lies or rotates (AS-15, SEC-04), and one ID-JAG is redeemed by many at once (AS-23).
 * Every test is time-bounded: a hang is a failure, never a stuck run.
 */

const closers: Array<() => Promise<void>> = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

async function world(
  keySetOptions: { cooldownMs?: number; timeoutMs?: number; cacheMaxAgeMs?: number; staleIfErrorMs?: number } = {},
  replayStore?: InMemoryReplayStore,
): Promise<{ idp: FaultyIdp; as: TestAs }> {
  const idp = await startFaultyIdp()
  // No rate limit here (SEC-07 has its own suite): these tests count JWKS fetches and replays.
  const as = await startAs(
    [idp],
    { TOKEN_RATE_LIMIT_PER_MINUTE: '0' },
    { keySetOptions, ...(replayStore === undefined ? {} : { replayStore }) },
  )
  closers.push(
    () => idp.close(),
    () => as.close(),
  )
  return { idp, as }
}

async function assertTemporarilyUnavailable(res: Response): Promise<void> {
  const { status, body } = await readRefusal(res)
  assert.equal(status, 503)
  assert.equal(body.error, 'temporarily_unavailable')
  assert.match(String(body.error_description), /keys of the ID-JAG issuer cannot be fetched right now/)
}

/** An ID-JAG signed with the IdP's key but naming a `kid` the IdP never published. */
function withRandomKid(idp: FaultyIdp, as: TestAs): Promise<string> {
  return mintIdJag(idp, as, { header: { kid: `unknown-${crypto.randomUUID()}` } })
}

describe('JWKS faults (AS-15, SEC-04)', () => {
  test('AS-15 keys already cached keep working while the JWKS endpoint is down', { timeout: 5000 }, async () => {
    const { idp, as } = await world()
    assert.equal((await redeem(as, await mintIdJag(idp, as))).status, 200)
    for (const behaviour of ['reset', 'error', 'html'] as const) {
      idp.behaviour = behaviour
      const res = await redeem(as, await mintIdJag(idp, as))
      assert.equal(res.status, 200, behaviour)
      await res.body?.cancel()
    }
    assert.equal(idp.jwksRequests, 1, 'the cached key set was used, not refetched')
  })

  test(
    'AS-15 a flood of unknown kids (warm cache) causes no refetch inside the cooldown, and each is invalid_grant',
    { timeout: 10_000 },
    async () => {
      const { idp, as } = await world({ cooldownMs: 60_000 })
      assert.equal((await redeem(as, await mintIdJag(idp, as))).status, 200)
      const responses = await Promise.all(
        Array.from({ length: 40 }, async () => redeem(as, await withRandomKid(idp, as))),
      )
      for (const res of responses) {
        const { status, body } = await readRefusal(res)
        assert.equal(status, 400)
        assert.equal(body.error, 'invalid_grant')
      }
      assert.equal(idp.jwksRequests, 1)
    },
  )

  test('AS-15 a flood of unknown kids (cold cache) causes exactly one JWKS fetch', { timeout: 10_000 }, async () => {
    const { idp, as } = await world({ cooldownMs: 60_000 })
    const responses = await Promise.all(
      Array.from({ length: 40 }, async () => redeem(as, await withRandomKid(idp, as))),
    )
    for (const res of responses) assert.equal((await readRefusal(res)).body.error, 'invalid_grant')
    assert.equal(idp.jwksRequests, 1)
  })

  test('AS-15 unknown kids refetch at most once per cooldown', { timeout: 10_000 }, async () => {
    const cooldownMs = 300
    const { idp, as } = await world({ cooldownMs })
    assert.equal((await redeem(as, await mintIdJag(idp, as))).status, 200) // fetch 1
    const started = Date.now()
    while (Date.now() - started < 3 * cooldownMs + 100) {
      await Promise.all(
        Array.from({ length: 5 }, async () => (await redeem(as, await withRandomKid(idp, as))).body?.cancel()),
      )
    }
    const windows = Math.ceil((Date.now() - started) / cooldownMs)
    assert.ok(idp.jwksRequests >= 2, 'after a cooldown an unknown kid does trigger a refetch')
    assert.ok(idp.jwksRequests <= 1 + windows, `${idp.jwksRequests} JWKS requests in ${windows} cooldowns`)
  })

  for (const behaviour of ['reset', 'html', 'invalid-json', 'not-a-jwks', 'error'] as const) {
    test(
      `AS-15 a JWKS endpoint that answers "${behaviour}" before the first fetch → 503 temporarily_unavailable, not 500`,
      { timeout: 5000 },
      async () => {
        const { idp, as } = await world()
        idp.behaviour = behaviour
        await assertTemporarilyUnavailable(await redeem(as, await mintIdJag(idp, as)))
      },
    )
  }

  test(
    'AS-15 a JWKS endpoint that is not listening at all → 503 temporarily_unavailable',
    { timeout: 5000 },
    async () => {
      const idp = await startFaultyIdp()
      const as = await startAs([idp])
      closers.push(() => as.close())
      await idp.close()
      await assertTemporarilyUnavailable(await redeem(as, await mintIdJag(idp, as)))
    },
  )

  test(
    'AS-15 a JWKS endpoint slower than the timeout → 503 within the timeout, not a hang',
    { timeout: 5000 },
    async () => {
      const { idp, as } = await world({ timeoutMs: 300 })
      idp.behaviour = 'slow'
      idp.slowMs = 10_000
      const started = Date.now()
      await assertTemporarilyUnavailable(await redeem(as, await mintIdJag(idp, as)))
      assert.ok(Date.now() - started < 2000, `answered after ${Date.now() - started} ms`)
    },
  )

  test(
    'AS-15 a JWKS outage after the cache went stale: the last good keys keep serving within staleIfErrorMs (decision 0014)',
    { timeout: 5000 },
    async () => {
      const { idp, as } = await world({ cacheMaxAgeMs: 100, cooldownMs: 0 })
      assert.equal((await redeem(as, await mintIdJag(idp, as))).status, 200)
      await new Promise((resolve) => setTimeout(resolve, 150))
      for (const behaviour of ['reset', 'html', 'error'] as const) {
        idp.behaviour = behaviour
        const res = await redeem(as, await mintIdJag(idp, as))
        assert.equal(res.status, 200, `${behaviour}: ${await res.clone().text()}`)
      }
    },
  )

  test(
    'AS-15 beyond staleIfErrorMs the outage is 503 again; staleIfErrorMs 0 turns the fallback off',
    { timeout: 5000 },
    async () => {
      for (const staleIfErrorMs of [100, 0]) {
        const { idp, as } = await world({ cacheMaxAgeMs: 50, cooldownMs: 0, staleIfErrorMs })
        assert.equal((await redeem(as, await mintIdJag(idp, as))).status, 200)
        await new Promise((resolve) => setTimeout(resolve, 150))
        idp.behaviour = 'reset'
        await assertTemporarilyUnavailable(await redeem(as, await mintIdJag(idp, as)))
      }
    },
  )

  test(
    'AS-15 during an outage, an ID-JAG signed with a key the last good set lacks is 503 (a rotation we cannot see), not invalid_grant',
    { timeout: 5000 },
    async () => {
      const { idp, as } = await world({ cacheMaxAgeMs: 50, cooldownMs: 0 })
      assert.equal((await redeem(as, await mintIdJag(idp, as))).status, 200)
      await idp.rotate()
      await new Promise((resolve) => setTimeout(resolve, 100))
      idp.behaviour = 'reset'
      await assertTemporarilyUnavailable(await redeem(as, await mintIdJag(idp, as)))
    },
  )

  test(
    'AS-15 during an outage a forged ID-JAG is still refused: the last good keys verify, they do not wave through',
    { timeout: 5000 },
    async () => {
      const { idp, as } = await world({ cacheMaxAgeMs: 50, cooldownMs: 0 })
      assert.equal((await redeem(as, await mintIdJag(idp, as))).status, 200)
      await new Promise((resolve) => setTimeout(resolve, 100))
      idp.behaviour = 'reset'
      const genuine = await mintIdJag(idp, as)
      const [header, payload] = genuine.split('.')
      const forged = `${header}.${payload}.${Buffer.alloc(64, 1).toString('base64url')}`
      const { status, body } = await readRefusal(await redeem(as, forged))
      assert.equal(status, 400)
      assert.equal(body.error, 'invalid_grant')
    },
  )

  test('AS-15 the AS recovers by itself once the JWKS endpoint is back', { timeout: 5000 }, async () => {
    const { idp, as } = await world({ cooldownMs: 0 })
    idp.behaviour = 'reset'
    await assertTemporarilyUnavailable(await redeem(as, await mintIdJag(idp, as)))
    idp.behaviour = 'serve'
    assert.equal((await redeem(as, await mintIdJag(idp, as))).status, 200)
  })

  test(
    'AS-15 the IdP rotates its key (new key only): new ID-JAGs validate after the cooldown, without a restart',
    { timeout: 5000 },
    async () => {
      const { idp, as } = await world({ cooldownMs: 200 })
      assert.equal((await redeem(as, await mintIdJag(idp, as))).status, 200)
      await idp.rotate()
      await new Promise((resolve) => setTimeout(resolve, 250))
      const res = await redeem(as, await mintIdJag(idp, as))
      assert.equal(res.status, 200)
      assert.equal(decodeClaims(((await res.json()) as { access_token: string }).access_token).idp, idp.issuer)
      assert.equal(idp.jwksRequests, 2)
    },
  )

  test(
    'AS-15 the IdP rotates its key (old and new published): both old- and new-kid ID-JAGs validate',
    { timeout: 5000 },
    async () => {
      const { idp, as } = await world({ cooldownMs: 200 })
      const old = await mintIdJag(idp, as)
      await idp.rotate({ keepOld: true })
      await new Promise((resolve) => setTimeout(resolve, 250))
      assert.equal((await redeem(as, old)).status, 200)
      assert.equal((await redeem(as, await mintIdJag(idp, as))).status, 200)
    },
  )

  test(
    'AS-15 an ID-JAG with a new kid inside the cooldown is refused (invalid_grant), not a 500',
    { timeout: 5000 },
    async () => {
      const { idp, as } = await world({ cooldownMs: 60_000 })
      assert.equal((await redeem(as, await mintIdJag(idp, as))).status, 200)
      await idp.rotate()
      const { status, body } = await readRefusal(await redeem(as, await mintIdJag(idp, as)))
      assert.equal(status, 400)
      assert.equal(body.error, 'invalid_grant')
      assert.equal(idp.jwksRequests, 1)
    },
  )
})

describe('replay under load (AS-23, SEC-05)', () => {
  test(
    'AS-23 50 concurrent redemptions of one ID-JAG → exactly one 200, 49 invalid_grant',
    { timeout: 15_000 },
    async () => {
      const { idp, as } = await world()
      const idJag = await mintIdJag(idp, as)
      const responses = await Promise.all(Array.from({ length: 50 }, () => redeem(as, idJag)))
      const statuses = responses.map((res) => res.status)
      assert.equal(statuses.filter((status) => status === 200).length, 1, JSON.stringify(statuses))
      for (const res of responses) {
        if (res.status === 200) {
          await res.body?.cancel()
          continue
        }
        const { status, body } = await readRefusal(res)
        assert.equal(status, 400)
        assert.equal(body.error, 'invalid_grant')
        assert.equal(body.error_description, 'this ID-JAG was already used')
      }
    },
  )

  test(
    'AS-23 a used ID-JAG stays refused however many other grants come in after it',
    { timeout: 15_000 },
    async () => {
      const { idp, as } = await world()
      const first = await mintIdJag(idp, as)
      assert.equal((await redeem(as, first)).status, 200)
      const others = await Promise.all(Array.from({ length: 50 }, async () => redeem(as, await mintIdJag(idp, as))))
      assert.deepEqual(new Set(others.map((res) => res.status)), new Set([200]))
      const { status, body } = await readRefusal(await redeem(as, first))
      assert.equal(status, 400)
      assert.equal(body.error, 'invalid_grant')
    },
  )

  test('AS-23 a full replay store fails closed (503) and never evicts a live entry', { timeout: 10_000 }, async () => {
    const { idp, as } = await world({}, new InMemoryReplayStore({ maxEntries: 5 }))
    const idJags = await Promise.all(Array.from({ length: 5 }, () => mintIdJag(idp, as)))
    for (const idJag of idJags) assert.equal((await redeem(as, idJag)).status, 200)
    const full = await readRefusal(await redeem(as, await mintIdJag(idp, as)))
    assert.equal(full.status, 503)
    assert.equal(full.body.error, 'temporarily_unavailable')
    for (const idJag of idJags) assert.equal((await readRefusal(await redeem(as, idJag))).body.error, 'invalid_grant')
  })
})
