import type { Row } from '../row.ts'
import { formatMs } from './format-ms.ts'

/** Server CPU milliseconds per answered request (all serving processes together); "—" off Linux. */
export function cpuPerRequest(row: Row): string {
  if (row.serverCpuSeconds.some((value) => value === undefined) || row.result.ok === 0) return '—'
  const total = row.serverCpuSeconds.reduce<number>((sum, value) => sum + (value ?? 0), 0)
  return formatMs((total * 1000) / row.result.ok)
}
