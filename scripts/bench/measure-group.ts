import { runSlice, summarize, type Slice } from './load.ts'
import { processes } from './processes.ts'
import type { Row, RowSpec } from './row.ts'
import { settings } from './settings.ts'

/**
 * Measures a group of rows that share a server: each gets a warm-up, then its BENCH_SECONDS of load
 * in `settings.rounds` slices, the rows taking turns (baseline, operation, operation, baseline, …).
 * Whatever else the machine does then weighs on a row and on its baseline alike, so their ratio stays
 * meaningful on a shared machine where two back-to-back runs of BENCH_SECONDS each would not be.
 * Prints one line per row when the group is done; throws if a server exited meanwhile.
 */
export async function measureGroup(specs: readonly RowSpec[]): Promise<Row[]> {
  const { seconds, concurrency, warmupSeconds, rounds } = settings
  const warmupErrors = new Map<RowSpec, Pick<Slice, 'errors' | 'firstError'>>()
  for (const spec of specs) {
    if (warmupSeconds <= 0) continue
    // Not timed, but not ignored: a wrong answer while warming up fails the run too.
    const warm = await runSlice(spec.operation, warmupSeconds, spec.concurrency ?? concurrency, spec.hasWork)
    if (warm.errors > 0) warmupErrors.set(spec, { errors: warm.errors, firstError: warm.firstError })
  }
  const running = processes.running
  const slices = specs.map((): Slice[] => [])
  const cpu = specs.map(() => new Map<string, number | undefined>(running.map((role) => [role.spec.name, 0])))
  const benchCpu = specs.map(() => 0)
  for (let round = 0; round < rounds; round++) {
    for (const [i, spec] of specs.entries()) {
      const before = new Map(running.map((role) => [role.spec.name, role.cpuSeconds()]))
      const benchBefore = process.cpuUsage()
      slices[i]!.push(await runSlice(spec.operation, seconds / rounds, spec.concurrency ?? concurrency, spec.hasWork))
      const used = process.cpuUsage(benchBefore)
      benchCpu[i]! += (used.user + used.system) / 1e6
      for (const role of running) {
        const start = before.get(role.spec.name)
        const end = role.cpuSeconds()
        const sum = cpu[i]!.get(role.spec.name)
        cpu[i]!.set(
          role.spec.name,
          start === undefined || end === undefined || sum === undefined ? undefined : sum + end - start,
        )
      }
      processes.assertAllAlive()
    }
  }
  return specs.map((spec, i) => {
    const result = summarize(slices[i]!)
    const cpuByRole = cpu[i]!
    const warmup = warmupErrors.get(spec)
    console.log(`  ${spec.name}: ${Math.round(result.perSecond)} req/s, ${result.errors} errors`)
    return {
      ...spec,
      result,
      cpuByRole,
      serverCpuSeconds: spec.serving.map((role) => cpuByRole.get(role)),
      benchCpuSeconds: benchCpu[i]!,
      ...(warmup === undefined ? {} : { warmupErrors: warmup }),
    }
  })
}
