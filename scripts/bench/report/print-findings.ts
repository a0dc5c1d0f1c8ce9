// The report's lines per topic, after the table and the ratios: what one thing costs or saves,
// each read off two rows of the same group (and, for Redis, off the redis-servers' own figures).
import type { Row } from '../row.ts'
import type { RedisFigures } from '../rows/redis-rows.ts'
import { ROW } from '../rows/row-names.ts'
import { cpuPerRequest } from './cpu-per-request.ts'
import { formatMs } from './format-ms.ts'

/**
 * What our MCP server adds, per tool call, in CPU: each serving process's CPU time per answered call,
 * ours beside the downstream peer's (both call the same Tasks API), and the two `ping` rows.
 */
function printMcpCpuShare(rows: readonly Row[]): void {
  const perCall = (rowName: string, role: string): string => {
    const row = rows.find((candidate) => candidate.name === rowName)
    const seconds = row?.cpuByRole.get(role)
    return row === undefined || seconds === undefined || row.result.ok === 0
      ? '—'
      : formatMs((seconds * 1000) / row.result.ok)
  }
  console.log(
    `CPU ms per call by process: whoami ours mcp ${perCall(ROW.whoami, 'mcp')} + tasks-api ${perCall(ROW.whoami, 'tasks-api')}, ` +
      `the downstream peer ${perCall(ROW.peerMcpDownstream, 'peer-mcp-downstream')} + tasks-api ${perCall(ROW.peerMcpDownstream, 'tasks-api')}; ` +
      `ping ours ${perCall(ROW.ping, 'mcp')}, peer no auth ${perCall(ROW.peerMcpPing, 'peer-mcp')}, peer bearer ${perCall(ROW.peerMcpBearerPing, 'peer-mcp-bearer')}.`,
  )
}

/** Issue 11: a held ID token to a tool result, p50 ≤ 10 ms, measured one chain at a time (no queueing). */
function printChainToTool(rows: readonly Row[]): void {
  const row = rows.find((candidate) => candidate.name === ROW.chainToTool)?.result
  if (row === undefined) return
  console.log(
    `the chain from a held ID token to a tool result (exchange at the IdP, jwt-bearer at the AS, initialize + notifications/initialized + tools/call whoami at the MCP server, one at a time): ` +
      `p50 ${formatMs(row.p50)} ms, p90 ${formatMs(row.p90)} ms (goal p50 ≤ 10 ms: ${row.p50 <= 10 ? 'met' : 'NOT met'}).`,
  )
}

/** What the decision lines at LOG_LEVEL=info cost the token exchange (server-kit's batched stdout writer). */
function printLoggingCost(rows: readonly Row[]): void {
  const warn = rows.find((row) => row.name === ROW.exchange)
  const info = rows.find((row) => row.name === ROW.exchangeInfo)
  if (warn === undefined || info === undefined) return
  console.log(
    `logging at the default level: the token exchange at LOG_LEVEL=info (one "issued ID-JAG" line a request) ${Math.round(info.result.perSecond)} req/s, ` +
      `${cpuPerRequest(info)} ms CPU/req; at warn (no line) ${Math.round(warn.result.perSecond)} req/s, ${cpuPerRequest(warn)} ms CPU/req (${(info.result.perSecond / (warn.result.perSecond || 1)).toFixed(2)}×).`,
  )
}

/** What the second hop (RFC 8693 on-behalf-of exchange at the AS) adds to a tool call. */
function printHopCost(rows: readonly Row[]): void {
  const warm = rows.find((row) => row.name === ROW.whoami)?.result
  const cold = rows.find((row) => row.name === ROW.whoamiCold)?.result
  if (warm === undefined || cold === undefined) return
  console.log(
    `the on-behalf-of hop: a tool call with the exchange cache warm p50 ${formatMs(warm.p50)} ms, ${Math.round(warm.perSecond)} req/s; ` +
      `with an exchange on every call p50 ${formatMs(cold.p50)} ms, ${Math.round(cold.perSecond)} req/s (both call the Tasks API).`,
  )
}

/** What the Redis round trip is of a redemption: the bare round trip, the commands, the rows' difference. */
function printRedisShare(rows: readonly Row[], { trip, commandsPerRedemption }: RedisFigures): void {
  const memory = rows.find((row) => row.name === ROW.redeem)
  const one = rows.find((row) => row.name === ROW.redeemRedis)
  const two = rows.find((row) => row.name === ROW.redeemRedisTwo)
  if (trip === undefined || memory === undefined || one === undefined || two === undefined) {
    console.log('the Redis rows were skipped: redis-server is not installed (Debian package redis-server).')
    return
  }
  const share = (trip.setNxMs * commandsPerRedemption) / one.result.p50
  console.log(
    `the Redis replay store: ${commandsPerRedemption.toFixed(2)} Redis commands per redemption; a SET NX round trip p50 ${formatMs(trip.setNxMs)} ms (PING ${formatMs(trip.pingMs)} ms), ` +
      `${(share * 100).toFixed(1)}% of a redemption's p50 on one Redis-backed AS (${formatMs(one.result.p50)} ms; in memory ${formatMs(memory.result.p50)} ms, ` +
      `difference ${formatMs(one.result.p50 - memory.result.p50)} ms); srv CPU ms/req in memory ${cpuPerRequest(memory)}, on Redis ${cpuPerRequest(one)}; ` +
      `two instances on one Redis: ${Math.round(two.result.perSecond)} req/s (${(two.result.perSecond / (one.result.perSecond || 1)).toFixed(2)}× one instance, on the same server core).`,
  )
}

/** What the policy's check on Redis (decision 0080) adds to a token exchange: the commands, the HGET round trip, the rows' difference. */
function printPolicyCheckCost(rows: readonly Row[], { hgetMs, commandsPerExchange }: RedisFigures): void {
  const memory = rows.find((row) => row.name === ROW.exchange)
  const onRedis = rows.find((row) => row.name === ROW.exchangeRedis)
  if (hgetMs === undefined || memory === undefined || onRedis === undefined) return
  console.log(
    `the policy on Redis: ${commandsPerExchange.toFixed(2)} Redis commands per exchange (the HGET of the policy's revision, awaited; the audit trail's XADD, not awaited); ` +
      `an HGET round trip p50 ${formatMs(hgetMs)} ms, ${((hgetMs / onRedis.result.p50) * 100).toFixed(1)}% of an exchange's p50 on the Redis-backed IdP ` +
      `(${formatMs(onRedis.result.p50)} ms; in memory ${formatMs(memory.result.p50)} ms, difference ${formatMs(onRedis.result.p50 - memory.result.p50)} ms); ` +
      `srv CPU ms/req in memory ${cpuPerRequest(memory)}, on Redis ${cpuPerRequest(onRedis)}.`,
  )
}

/** What TOKEN_INTROSPECTION=on (decision 0060) adds to a tool call, beside the row without it. */
function printIntrospectionCost(rows: readonly Row[]): void {
  const off = rows.find((row) => row.name === ROW.whoami)?.result
  if (off === undefined) return
  for (const name of [ROW.whoamiIntrospect, ROW.whoamiIntrospectEvery]) {
    const on = rows.find((row) => row.name === name)?.result
    if (on === undefined) continue
    console.log(
      `${name}: p50 ${formatMs(on.p50)} ms, ${Math.round(on.perSecond)} req/s, against introspection off p50 ${formatMs(off.p50)} ms, ` +
        `${Math.round(off.perSecond)} req/s (${(on.perSecond / off.perSecond).toFixed(2)}×).`,
    )
  }
}

/** What remembering verified access tokens (decision 0100) saves on a request: `ping` with and without. */
function printVerifiedTokenCacheShare(rows: readonly Row[]): void {
  const cached = rows.find((row) => row.name === ROW.ping)
  const every = rows.find((row) => row.name === ROW.pingVerifyEvery)
  if (cached === undefined || every === undefined) return
  console.log(
    `remembered access tokens (decision 0100): ping ${Math.round(cached.result.perSecond)} req/s, p50 ${formatMs(cached.result.p50)} ms, ${cpuPerRequest(cached)} ms CPU/req; ` +
      `with the token verified in full on every request ${Math.round(every.result.perSecond)} req/s, p50 ${formatMs(every.result.p50)} ms, ${cpuPerRequest(every)} ms CPU/req ` +
      `(${(cached.result.perSecond / (every.result.perSecond || 1)).toFixed(2)}×).`,
  )
}

/**
 * Every topic's line, in the report's order; a topic whose rows were not measured prints
 * none, but the Redis rows' absence is said.
 */
export function printFindings(rows: readonly Row[], redis: RedisFigures): void {
  printMcpCpuShare(rows)
  printChainToTool(rows)
  printLoggingCost(rows)
  printHopCost(rows)
  printRedisShare(rows, redis)
  printPolicyCheckCost(rows, redis)
  printIntrospectionCost(rows)
  printVerifiedTokenCacheShare(rows)
}
