/**
 * `npm run bench`: throughput and latency of the token path and of the MCP endpoint, each next to a
 * baseline of the same server and next to peers measured in the same run (docs/benchmarks.md).
 * Starts the IdP, the authorization server, the Tasks API and the MCP server as their own processes
 * on ports BENCH_BASE_PORT+1 … +4 (default 5501-5504; +0 is only the client URL in the IdP's redirect
 * URI), more of ours and the peers above them (scripts/bench/topology.ts), signs alice in over HTTP,
 * loads each operation for BENCH_SECONDS at BENCH_CONCURRENCY after a warm-up, prints a table, and
 * stops every process (also on an error or Ctrl-C). Exits 1 if any request failed. Figures are
 * printed, never asserted. Where redis-server is installed, the redemption is measured again against
 * one and two AS instances on one Redis (base+20, +21), with the Redis round trip's share.
 */
import { cpuPinning } from './bench/cpu-pinning.ts'
import { measureGroup } from './bench/measure-group.ts'
import { processes } from './bench/processes.ts'
import { printHeader } from './bench/report/print-header.ts'
import { report } from './bench/report/report.ts'
import type { Row } from './bench/row.ts'
import { chainToToolRow } from './bench/rows/chain-to-tool-row.ts'
import { mcpRows } from './bench/rows/mcp-rows.ts'
import { tokenEndpointRows } from './bench/rows/token-endpoint-rows.ts'
import { startTopology } from './bench/start-topology.ts'
import { warmChecks } from './bench/warm-checks.ts'

cpuPinning.pinLoadGenerator()
processes.stopOnSignals()

async function main(): Promise<number> {
  printHeader()
  const redis = await startTopology()
  const held = await warmChecks(redis)
  const rows: Row[] = []

  const tokenEndpoints = await tokenEndpointRows(held, redis)
  console.log(
    `token endpoints (after minting ${tokenEndpoints.minted} ID-JAGs for the redemption rows in ${tokenEndpoints.mintSeconds.toFixed(1)} s):`,
  )
  rows.push(...(await measureGroup(tokenEndpoints.specs)))
  const redisFigures = await tokenEndpoints.redisFigures()

  const mcp = await mcpRows(held.idToken)
  console.log('mcp:')
  rows.push(...(await measureGroup(mcp)))

  const chain = chainToToolRow(held.idToken)
  console.log('the chain to a tool result:')
  rows.push(...(await measureGroup([chain.spec])))
  await chain.closeSessions()

  return report(rows, {
    redis: redisFigures,
    poolSize: tokenEndpoints.poolSize,
    mintSeconds: tokenEndpoints.mintSeconds,
  })
}

let code = 1
try {
  code = await main()
} catch (error) {
  if (!processes.stopping)
    console.error(`\nbenchmark failed: ${error instanceof Error ? error.message : String(error)}`)
} finally {
  await processes.stopAll()
}
process.exit(code)
