import { performance } from 'node:perf_hooks'
import { runSlice } from '../load.ts'
import { getOk } from '../requests/get-ok.ts'
import { clientCredentialsAtPeer, exchange, redeem, redeemAtPeer } from '../requests/token-endpoint-requests.ts'
import type { RowSpec } from '../row.ts'
import { settings } from '../settings.ts'
import type { RedisServers } from '../start-topology.ts'
import { topology } from '../topology.ts'
import type { HeldIdTokens } from '../warm-checks.ts'
import { redisRows, type RedisFigures } from './redis-rows.ts'
import { ROW } from './row-names.ts'

export interface TokenEndpointRows {
  /** Ours and the peers', in one group so that they all take turns. */
  specs: RowSpec[]
  /** The ID-JAGs minted for the redemption rows: the in-memory row's pool, and both pools together. */
  poolSize: number
  minted: number
  mintSeconds: number
  /** After the group: what the Redis rows' servers did (redis-rows.ts). */
  redisFigures(): Promise<RedisFigures>
}

/** Runs `task` `count` times on BENCH_CONCURRENCY workers. */
async function repeat(count: number, task: () => Promise<void>): Promise<void> {
  let claimed = 0
  await Promise.all(
    Array.from({ length: settings.concurrency }, async () => {
      while (claimed < count) {
        claimed++
        await task()
      }
    }),
  )
}

/**
 * The token endpoints' rows. Every redemption at our AS needs an ID-JAG nobody has redeemed (AS-23,
 * single-use jti), so a pool is minted first, outside the timed part, sized from a short unrecorded
 * probe of the exchange rate.
 */
export async function tokenEndpointRows(held: HeldIdTokens, redis: RedisServers): Promise<TokenEndpointRows> {
  const { idToken, idTokenInfo } = held
  const { concurrency, poolFactor, warmupSeconds, seconds } = settings
  const probe = await runSlice(() => exchange(idToken).then(() => undefined), 1, concurrency)
  const exchangeRate = probe.latencies.length / probe.elapsedSeconds
  const poolSize = Math.min(200_000, Math.max(500, Math.ceil(exchangeRate * poolFactor * (warmupSeconds + seconds))))
  const pool: string[] = []
  const mintStart = performance.now()
  await repeat(poolSize, async () => {
    pool.push(await exchange(idToken))
  })
  // The Redis rows: the one-instance row reuses the in-memory row's pool (another replay store); the
  // two-instance row shares that Redis, so it gets a pool of its own.
  const poolTwo: string[] = []
  if (redis.as !== undefined)
    await repeat(poolSize, async () => {
      poolTwo.push(await exchange(idToken))
    })
  const mintSeconds = (performance.now() - mintStart) / 1000
  // The IdP at LOG_LEVEL=info gets as many exchanges, untimed, as the first IdP just served, so that
  // both run equally warm (JIT-optimised) code and the logging row compares logging, not warm-up.
  await repeat(poolSize, async () => {
    await exchange(idTokenInfo, `${topology.idpInfo.url}/token`)
  })
  let used = 0
  const onRedis = await redisRows(redis, held.idTokenAtRedisIdp, pool, poolTwo)
  // The bare peer keeps no replay store, so one ID-JAG serves its row.
  const peerIdJag = await exchange(idToken)
  const { urls } = topology
  return {
    poolSize: pool.length,
    minted: pool.length + poolTwo.length,
    mintSeconds,
    redisFigures: onRedis.figures,
    specs: [
      {
        name: ROW.openidConfiguration,
        serving: ['idp'],
        isBaseline: true,
        operation: () => getOk(`${urls.idp}/.well-known/openid-configuration`),
      },
      {
        name: ROW.exchange,
        serving: ['idp'],
        baseline: ROW.openidConfiguration,
        operation: () => exchange(idToken).then(() => undefined),
      },
      ...onRedis.exchangeRows,
      {
        name: ROW.exchangeInfo,
        serving: [topology.idpInfo.spec.name],
        baseline: ROW.exchange,
        operation: () => exchange(idTokenInfo, `${topology.idpInfo.url}/token`).then(() => undefined),
      },
      {
        name: ROW.authorizationServerMetadata,
        serving: ['as'],
        isBaseline: true,
        operation: () => getOk(`${urls.as}/.well-known/oauth-authorization-server`),
      },
      {
        name: ROW.redeem,
        serving: ['as'],
        baseline: ROW.authorizationServerMetadata,
        operation: () => redeem(pool[used++]!).then(() => undefined),
        hasWork: () => used < pool.length,
      },
      ...onRedis.redemptionRows,
      {
        name: ROW.peerJwtBearer,
        serving: [topology.peerJwtBearer.spec.name],
        operation: () => redeemAtPeer(peerIdJag),
      },
      {
        name: ROW.peerClientCredentials,
        serving: [topology.peerClientCredentials.spec.name],
        operation: () => clientCredentialsAtPeer(),
      },
      {
        name: ROW.exchangeThenRedeem,
        serving: ['idp', 'as'],
        operation: () =>
          exchange(idToken)
            .then(redeem)
            .then(() => undefined),
      },
    ],
  }
}
