/**
 * SEC-07, IDP-27: token endpoint rate-limit windows on a real redis-server (decisions 0010, 0040):
 * one limit for every instance sharing Redis, and a 503, never an uncounted request, when Redis is gone.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { rateLimitTokenEndpoint } from '@ema/provider-kit'
import { listen, type Listening } from '@ema/server-kit'
import Koa from 'koa'
import { RedisRateLimitWindows, type RedisConnection } from '../src/index.ts'
import {
  recordingLogger,
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

describe('RedisRateLimitWindows', () => {
  test('hit counts in one window of windowMs started by the first hit; peek reads it; unhit takes one back', async () => {
    const windows = new RedisRateLimitWindows({ connection: one, prefix: 'test:windows' })
    const at = Date.now()
    assert.equal(await windows.peek('client:a', at), undefined)
    const first = await windows.hit('client:a', at, 60_000)
    assert.equal(first.count, 1)
    assert.ok(first.endsAt > at + 59_000 && first.endsAt <= at + 60_000)
    assert.equal((await windows.hit('client:a', at, 60_000)).count, 2)
    assert.equal((await windows.peek('client:a', at))?.count, 2)
    await windows.unhit('client:a', at)
    assert.equal((await windows.peek('client:a', at))?.count, 1)
    await windows.unhit('client:missing', at)
    assert.equal(await windows.peek('client:missing', at), undefined, 'unhit creates no window')
  })

  test('a window ends after windowMs, and the next hit starts a new one', async () => {
    const windows = new RedisRateLimitWindows({ connection: one, prefix: 'test:windows-end' })
    await windows.hit('k', Date.now(), 150)
    await windows.hit('k', Date.now(), 150)
    await new Promise((resolve) => setTimeout(resolve, 250))
    assert.equal(await windows.peek('k', Date.now()), undefined)
    assert.equal((await windows.hit('k', Date.now(), 150)).count, 1)
  })

  test('SEC-07 two token endpoints sharing Redis enforce one limit: the 4th request over both gets 429; Redis gone → 503, never let through', async () => {
    const servers: Listening[] = []
    for (const connection of [one, two]) {
      // As oidc-provider runs it (provider.use): the limit in front of a token endpoint that refuses.
      const app = new Koa()
      app.use(
        rateLimitTokenEndpoint({
          paths: ['/token'],
          perMinute: 3,
          now: () => new Date(),
          log: recordingLogger().log,
          windows: new RedisRateLimitWindows({ connection, prefix: 'test:endpoint' }),
        }),
      )
      app.use((ctx) => {
        ctx.status = 400
        ctx.body = { error: 'invalid_grant' }
      })
      servers.push(await listen({ port: 0 }, app.callback()))
    }
    try {
      const post = (i: number) =>
        fetch(`${servers[i % 2]!.url}/token`, {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from('acme:secret').toString('base64')}` },
        })
      const statuses: number[] = []
      for (let i = 0; i < 4; i++) statuses.push((await post(i)).status)
      assert.deepEqual(statuses, [400, 400, 400, 429])

      await redis.stop()
      const started = Date.now()
      const refused = await post(0)
      assert.equal(refused.status, 503)
      assert.deepEqual(Object.keys((await refused.json()) as object).sort(), ['error', 'error_description'])
      assert.ok(Date.now() - started < 1_500)
    } finally {
      await redis.start()
      await Promise.all(servers.map((server) => server.close()))
    }
    await waitUntil(() => one.isReady, 5_000)
  })
})
