import { loadavg } from 'node:os'
import type { Row } from '../row.ts'
import type { RedisFigures } from '../rows/redis-rows.ts'
import { ROW } from '../rows/row-names.ts'
import { printComparisons } from './print-comparisons.ts'
import { printFindings } from './print-findings.ts'
import { printTable } from './print-table.ts'

/** What the report says besides the rows: the Redis servers' figures and the redemption pool. */
export interface ReportFacts {
  redis: RedisFigures
  /** The in-memory redemption row's pool of pre-minted ID-JAGs, and how long minting took. */
  poolSize: number
  mintSeconds: number
}

/**
 * Prints the report after the last row: the table, the ratios to the peers, the lines per topic, how
 * to read them, and every wrong answer. Returns the exit code: 1 if any request (timed or warming up)
 * got a wrong answer, else 0.
 */
export function report(rows: readonly Row[], facts: ReportFacts): number {
  console.log('')
  printTable(rows)
  console.log('')
  printComparisons(rows)
  printFindings(rows, facts.redis)
  console.log('')
  console.log('req/s and latencies count only requests that got the expected answer (200 with a token or')
  console.log("a tool result; 401 for the refusal); vs base = req/s over the same server's baseline row")
  console.log("(for the Redis rows: over the in-memory redemption). The Redis rows leave out redis-server's own CPU.")
  console.log('srv CPU% / bench CPU%: CPU time of the serving process(es) (idp+as for the chain) / of this')
  console.log("load generator over the timed part, 100 = one core. srv CPU ms/req: the serving processes'")
  console.log('CPU time per answered request, which depends less than req/s on what else the machine runs.')
  console.log('The chain row has no baseline: it spans two servers.')
  // The AS verifies ID-JAGs with the IdP's keys and the MCP server access tokens with the AS's keys,
  // both from a cached remote JWK Set: if that cache missed, the key owner would work during the row.
  const idleness = (rowName: string, role: string): string => {
    const row = rows.find((candidate) => candidate.name === rowName)
    const seconds = row?.cpuByRole.get(role)
    return row === undefined || seconds === undefined
      ? '—'
      : `${((seconds / row.result.elapsedSeconds) * 100).toFixed(1)}%`
  }
  console.log(
    `Key owners' CPU while others verify with their cached JWKS: idp during jwt-bearer ${idleness(ROW.redeem, 'idp')}, as during tools/call ${idleness(ROW.whoami, 'as')}.`,
  )
  const redeemRow = rows.find((row) => row.name === ROW.redeem)
  console.log(
    `The redemption row used a pool of ${facts.poolSize} pre-minted ID-JAGs (${facts.mintSeconds.toFixed(1)} s to mint)${redeemRow?.result.endedEarly === true ? `; IT RAN OUT: measured over ${redeemRow.result.elapsedSeconds.toFixed(1)} s only` : ''}.`,
  )
  console.log(
    `load average ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')} (1, 5, 15 min) at the end`,
  )
  const failed = rows.filter((row) => row.result.errors > 0)
  for (const row of failed)
    console.log(`ERRORS in "${row.name}": ${row.result.errors}, the first: ${row.result.firstError ?? '?'}`)
  const failedWarmups = rows.filter((row) => row.warmupErrors !== undefined)
  for (const { name, warmupErrors } of failedWarmups)
    console.log(
      `ERRORS in "${name}" during the warm-up: ${warmupErrors!.errors}, the first: ${warmupErrors!.firstError ?? '?'}`,
    )
  return failed.length === 0 && failedWarmups.length === 0 ? 0 : 1
}
