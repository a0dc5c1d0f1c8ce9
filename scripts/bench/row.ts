import type { LoadResult, Operation, Slice } from './load.ts'

/** One row to measure: an operation, the roles that serve it, and its baseline if it has one. */
export interface RowSpec {
  name: string
  /** The roles whose CPU is shown (the process that answers; both for the chain). */
  serving: readonly string[]
  operation: Operation
  /** The baseline row's name; the ratio is this row's requests/s over that one's. */
  baseline?: string
  isBaseline?: boolean
  /** See runSlice: false stops this row's workers (its token pool ran out). */
  hasWork?: () => boolean
  /** Requests in flight for this row; default BENCH_CONCURRENCY (1 measures latency without queueing). */
  concurrency?: number
}

/** A measured row (measure-group.ts). */
export interface Row extends RowSpec {
  result: LoadResult
  /** CPU seconds the serving process(es) used during the timed part, one per process; undefined off Linux. */
  serverCpuSeconds: (number | undefined)[]
  /** CPU seconds every role used during the timed part, by role name (to show who else worked). */
  cpuByRole: Map<string, number | undefined>
  /** CPU seconds this process (the load generator) used during the timed part. */
  benchCpuSeconds: number
  /** The wrong answers during the untimed warm-up, if there were any: they fail the run too. */
  warmupErrors?: Pick<Slice, 'errors' | 'firstError'>
}
