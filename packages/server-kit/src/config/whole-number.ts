import { z } from 'zod'

/**
 * A setting that is a whole number written in digits, `fallback` when absent, within `range` when one
 * is given (`must be from <min> to <max>`, min 0 by default). For a role's `Settings` schema.
 */
export function wholeNumber(fallback: number, range?: { min?: number; max: number }) {
  const value = z.string().regex(/^\d+$/, 'must be a whole number').default(String(fallback)).transform(Number)
  if (range === undefined) return value
  const min = range.min ?? 0
  return value.refine((n) => n >= min && n <= range.max, `must be from ${min} to ${range.max}`)
}
