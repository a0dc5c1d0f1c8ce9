import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os'
import { hasRedisServer } from '@ema/demo-kit'
import { cpuPinning } from '../cpu-pinning.ts'
import { settings } from '../settings.ts'
import { topology } from '../topology.ts'
import { es256Yardstick } from './es256-yardstick.ts'

/** The report's head, before anything starts: the machine, the settings, where every process runs. */
export function printHeader(): void {
  const cpu = cpus()
  const { urls, asRedis, idpRedis, peers, peerMcpDownstream } = topology
  console.log('MCP Enterprise-Managed Authorization: benchmark (npm run bench, docs/benchmarks.md)')
  console.log(`date         ${new Date().toISOString()}`)
  console.log(
    `node         ${process.version} (V8 ${process.versions.v8}), ${process.platform} ${release()} ${process.arch}`,
  )
  console.log(
    `cpu          ${cpu[0]?.model.trim() ?? 'unknown'} × ${cpu.length} (available parallelism ${availableParallelism()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  )
  console.log(
    `load average ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')} (1, 5, 15 min) at start`,
  )
  const es256 = es256Yardstick(0.5)
  console.log(
    `es256        node:crypto here, one core: sign ${es256.signMs.toFixed(3)} ms, verify ${es256.verifyMs.toFixed(3)} ms`,
  )
  console.log(
    `settings     ${settings.seconds} s per row (${settings.rounds} slices, taking turns with the rows of the same server) after ${settings.warmupSeconds} s warm-up, concurrency ${settings.concurrency} (closed loop, keep-alive)`,
  )
  console.log(
    `roles        idp ${urls.idp}, as ${urls.as}, mcp ${urls.rs}; LOG_LEVEL=warn, TOKEN_RATE_LIMIT_PER_MINUTE=0`,
  )
  console.log(
    `redis        ${hasRedisServer() ? `a redis-server on a free port; ${asRedis.map(({ spec }) => `${spec.name} :${spec.port}`).join(', ')} (REDIS_URL, one AS_SIGNING_KEYS); another for ${idpRedis.spec.name} :${idpRedis.spec.port} (its policy and audit trail)` : 'none: redis-server is not installed, the Redis rows are skipped'}`,
  )
  console.log(
    `peers        ${peers.map((spec) => `${spec.name} :${spec.port}`).join(', ')}, ${peerMcpDownstream.spec.name} :${peerMcpDownstream.spec.port} (once a Tasks API token is held)`,
  )
  console.log(
    `pinning      ${cpuPinning.pinned ? `servers on CPU ${cpuPinning.serverCpus}, this load generator on CPU ${cpuPinning.loadCpus} (taskset)` : 'none (no taskset, one core, or BENCH_PIN=false)'}`,
  )
  console.log('')
}
