import type { Row } from '../row.ts'
import { cpuPerRequest } from './cpu-per-request.ts'
import { formatMs } from './format-ms.ts'

/** "vs base": this row's req/s over its baseline row's, measured in the same group. */
function ratio(row: Row, rows: readonly Row[]): string {
  if (row.isBaseline === true) return 'baseline'
  const base = rows.find((candidate) => candidate.name === row.baseline)
  if (base === undefined || base.result.perSecond === 0) return '—'
  return `${(row.result.perSecond / base.result.perSecond).toFixed(2)}×`
}

/** CPU use over the timed part as a percentage of one core, per process joined by "+". */
function cpuPercent(seconds: readonly (number | undefined)[], wallSeconds: number): string {
  return seconds.map((value) => (value === undefined ? '—' : String(Math.round((value / wallSeconds) * 100)))).join('+')
}

/** The table: one line per row, in the order they were measured. */
export function printTable(rows: readonly Row[]): void {
  const header = [
    'operation',
    'server',
    'req/s',
    'vs base',
    'p50 ms',
    'p90 ms',
    'p99 ms',
    'max ms',
    'ok',
    'errors',
    'srv CPU%',
    'srv CPU ms/req',
    'bench CPU%',
  ]
  const lines = rows.map((row) => [
    row.name,
    row.serving.join('→'),
    row.result.perSecond.toFixed(row.result.perSecond < 100 ? 1 : 0),
    ratio(row, rows),
    formatMs(row.result.p50),
    formatMs(row.result.p90),
    formatMs(row.result.p99),
    formatMs(row.result.max),
    String(row.result.ok),
    String(row.result.errors),
    cpuPercent(row.serverCpuSeconds, row.result.elapsedSeconds),
    cpuPerRequest(row),
    cpuPercent([row.benchCpuSeconds], row.result.elapsedSeconds),
  ])
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)))
  const format = (cells: string[]) =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')
  console.log(format(header))
  console.log(widths.map((width) => '-'.repeat(width)).join('  '))
  for (const line of lines) console.log(format(line))
}
