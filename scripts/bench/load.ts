// A closed-loop load generator: `concurrency` workers, each sending its next request as soon as the
// previous one has been answered, for a fixed time. Latency is measured per request with
// performance.now(); only requests that met their expectation count towards requests/s and the
// percentiles, every other outcome is an error. A row's time may be run as several slices (to
// interleave it with its baseline); `summarize` merges them.
import { performance } from 'node:perf_hooks'

/** One request and the check of its answer: resolves when it met its expectation, throws otherwise. */
export type Operation = (worker: number) => Promise<void>

/** What one slice of load measured. */
export interface Slice {
  /** Latencies in ms of the requests that met their expectation, unsorted. */
  latencies: number[]
  errors: number
  firstError?: string
  /** Wall time from the start until the last worker finished. */
  elapsedSeconds: number
  /** True when hasWork() stopped the workers before the time was up. */
  endedEarly: boolean
}

export interface LoadResult {
  /** Requests that met their expectation. */
  ok: number
  errors: number
  /** The first error's message, to show why. */
  firstError?: string
  /** Wall time of all slices together. */
  elapsedSeconds: number
  /** ok / elapsedSeconds. */
  perSecond: number
  /** Latencies of the ok requests in ms (nearest rank). */
  p50: number
  p90: number
  p99: number
  max: number
  endedEarly: boolean
}

/**
 * Runs `operation` on `concurrency` workers for `seconds`. `hasWork` is checked before each request;
 * false stops the workers early (a pool of single-use tokens ran out).
 */
export async function runSlice(
  operation: Operation,
  seconds: number,
  concurrency: number,
  hasWork?: () => boolean,
): Promise<Slice> {
  const latencies: number[] = []
  let errors = 0
  let firstError: string | undefined
  let endedEarly = false
  const start = performance.now()
  const deadline = start + seconds * 1000
  const worker = async (index: number): Promise<void> => {
    while (performance.now() < deadline) {
      if (hasWork !== undefined && !hasWork()) {
        endedEarly = true
        return
      }
      const sent = performance.now()
      try {
        await operation(index)
        latencies.push(performance.now() - sent)
      } catch (error) {
        errors++
        firstError ??= error instanceof Error ? error.message : String(error)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)))
  return {
    latencies,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    elapsedSeconds: (performance.now() - start) / 1000,
    endedEarly,
  }
}

/** Merges the slices of one row into its figures. */
export function summarize(slices: readonly Slice[]): LoadResult {
  const latencies = slices.flatMap((slice) => slice.latencies).sort((a, b) => a - b)
  const elapsedSeconds = slices.reduce((sum, slice) => sum + slice.elapsedSeconds, 0)
  const firstError = slices.find((slice) => slice.firstError !== undefined)?.firstError
  return {
    ok: latencies.length,
    errors: slices.reduce((sum, slice) => sum + slice.errors, 0),
    ...(firstError === undefined ? {} : { firstError }),
    elapsedSeconds,
    perSecond: elapsedSeconds === 0 ? 0 : latencies.length / elapsedSeconds,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    endedEarly: slices.some((slice) => slice.endedEarly),
  }
}

/** Nearest-rank percentile of sorted values (NaN when there are none). */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN
}
