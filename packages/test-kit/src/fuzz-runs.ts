/** Runs per property from the `FUZZ_RUNS` value (scripts/fuzz.ts sets it); default 80, the `npm test` budget. */
export function fuzzRuns(value: string | undefined): number {
  const runs = Number(value ?? 80)
  return Number.isInteger(runs) && runs > 0 ? runs : 80
}
