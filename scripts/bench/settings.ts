// The benchmark's settings from the environment (docs/benchmarks.md, "Running it"): read once, when
// this module is first imported; a value out of range stops the run with exit code 2.

/** A number from the environment, or the default; anything outside [min, max] stops the run. */
function setting(name: string, fallback: number, min: number, max: number, integer: boolean): number {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    console.error(`${name}=${raw}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`)
    process.exit(2)
  }
  return value
}

// At most 20 s: the redemption pool is minted (about 2 × (warm-up + SECONDS) at the exchange rate)
// before the token group's seven rows run (7 × (warm-up + SECONDS)), and its last ID-JAG must still be
// alive (300 s): at 20 s that is at most about 190 s after its first one was minted.
const seconds = setting('BENCH_SECONDS', 5, 0.5, 20, false)

export const settings = {
  /** BENCH_SECONDS: timed seconds per row. */
  seconds,
  /** BENCH_CONCURRENCY: requests in flight (closed-loop workers). */
  concurrency: setting('BENCH_CONCURRENCY', 8, 1, 256, true),
  /** BENCH_WARMUP_SECONDS: untimed load per row before its timed part. */
  warmupSeconds: setting('BENCH_WARMUP_SECONDS', 1, 0, 10, false),
  /** BENCH_BASE_PORT: every process's port is an offset from it (topology.ts). */
  basePort: setting('BENCH_BASE_PORT', 5500, 1024, 65520, true),
  /** The timed part of each row is run as this many slices, the rows of a group taking turns. */
  rounds: Math.max(1, Math.round(seconds)),
  /** Pool of pre-minted ID-JAGs = this × the measured exchange rate × (warm-up + timed seconds). */
  poolFactor: 2,
} as const
