// The rows on Redis, measured in the token endpoints' group (decisions 0040 and 0080), and what their
// redis-servers did meanwhile: the commands per request, and the bare round trip of the command the
// request waits for. None where redis-server is not installed.
import { RedisProbe } from '../redis-round-trip.ts'
import { exchange, redeem } from '../requests/token-endpoint-requests.ts'
import type { RowSpec } from '../row.ts'
import type { RedisServers } from '../start-topology.ts'
import { topology } from '../topology.ts'
import { ROW } from './row-names.ts'

/** What the Redis servers did during the group, for the report; NaN and undefined without Redis. */
export interface RedisFigures {
  /** Redis commands per redemption at the Redis-backed AS instances. */
  commandsPerRedemption: number
  /** The bare SET NX (what the replay store sends) and PING round trips, p50 ms. */
  trip?: { setNxMs: number; pingMs: number }
  /** Redis commands per exchange at the Redis-backed IdP. */
  commandsPerExchange: number
  /** The bare HGET of the policy's revision (what the IdP awaits per exchange), p50 ms. */
  hgetMs?: number
}

export interface RedisRows {
  /** The exchange at the IdP with its policy on Redis, beside the in-memory exchange. */
  exchangeRows: RowSpec[]
  /** The redemption at one Redis-backed AS, and alternately at both, beside the in-memory one. */
  redemptionRows: RowSpec[]
  /** After the group: the commands counted, then the round trips timed; closes the probes. */
  figures(): Promise<RedisFigures>
}

/**
 * Opens a probe on each redis-server and counts its commands from here. The one-instance redemption
 * row redeems `pool`, the in-memory row's pool (another replay store); the two-instance row shares
 * that Redis, so it redeems a pool of its own, `poolTwo`.
 */
export async function redisRows(
  redis: RedisServers,
  idTokenAtRedisIdp: string | undefined,
  pool: readonly string[],
  poolTwo: readonly string[],
): Promise<RedisRows> {
  const [one, two] = topology.asRedis
  const idpRedis = topology.idpRedis
  let usedOne = 0
  let usedTwo = 0
  let exchangesOnRedis = 0
  const redisProbe = redis.as === undefined ? undefined : await RedisProbe.open(redis.as.port)
  const commandsBefore = (await redisProbe?.commandsProcessed()) ?? 0
  const idpRedisProbe = redis.idp === undefined ? undefined : await RedisProbe.open(redis.idp.port)
  const idpCommandsBefore = (await idpRedisProbe?.commandsProcessed()) ?? 0
  return {
    exchangeRows:
      idTokenAtRedisIdp === undefined
        ? []
        : [
            {
              name: ROW.exchangeRedis,
              serving: [idpRedis.spec.name],
              baseline: ROW.exchange,
              operation: () => {
                exchangesOnRedis++
                return exchange(idTokenAtRedisIdp, `${idpRedis.url}/token`).then(() => undefined)
              },
            },
          ],
    redemptionRows:
      redis.as === undefined
        ? []
        : [
            {
              name: ROW.redeemRedis,
              serving: [one.spec.name],
              baseline: ROW.redeem,
              operation: () => redeem(pool[usedOne++]!, one.tokenUrl).then(() => undefined),
              hasWork: () => usedOne < pool.length,
            },
            {
              name: ROW.redeemRedisTwo,
              serving: [one.spec.name, two.spec.name],
              baseline: ROW.redeem,
              operation: () => {
                const n = usedTwo++
                return redeem(poolTwo[n]!, topology.asRedis[n % 2]!.tokenUrl).then(() => undefined)
              },
              hasWork: () => usedTwo < poolTwo.length,
            },
          ],
    async figures() {
      // Each count less the INFO that reads it.
      const commandsPerRedemption =
        redisProbe === undefined
          ? Number.NaN
          : ((await redisProbe.commandsProcessed()) - commandsBefore - 1) / (usedOne + usedTwo)
      const trip = await redisProbe?.roundTrips(0.5)
      redisProbe?.close()
      const commandsPerExchange =
        idpRedisProbe === undefined
          ? Number.NaN
          : ((await idpRedisProbe.commandsProcessed()) - idpCommandsBefore - 1) / exchangesOnRedis
      const hgetMs = await idpRedisProbe?.hgetRoundTrip(`${idpRedis.keyPrefix}:policy:default`, 0.5)
      idpRedisProbe?.close()
      return { commandsPerRedemption, trip, commandsPerExchange, hgetMs }
    },
  }
}
