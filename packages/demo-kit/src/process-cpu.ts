import { readFileSync } from 'node:fs'

/**
 * CPU seconds (user + system) a process has used so far: utime + stime from /proc/<pid>/stat
 * (fields 14 and 15, after the parenthesised command name), in USER_HZ ticks, which Linux always
 * reports at 100 per second. Undefined off Linux, for an unknown pid, or once the process is gone.
 */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined || process.platform !== 'linux') return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
    const ticks = Number(fields[11]) + Number(fields[12])
    return Number.isFinite(ticks) ? ticks / 100 : undefined
  } catch {
    return undefined
  }
}
