import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'

/**
 * Servers on one core, the load generator (this process) on another, where taskset exists and the
 * machine has two cores: otherwise the load generator's own work would weigh on every row.
 * BENCH_SERVER_CPUS and BENCH_LOAD_CPUS (taskset lists, default "0" and "1") choose them; BENCH_PIN=false
 * turns pinning off.
 */
const taskset = ['/usr/bin/taskset', '/bin/taskset'].find((path) => existsSync(path))
const pinned = taskset !== undefined && availableParallelism() >= 2 && process.env.BENCH_PIN !== 'false'
const serverCpus = process.env.BENCH_SERVER_CPUS ?? '0'
const loadCpus = process.env.BENCH_LOAD_CPUS ?? '1'

export const cpuPinning = {
  pinned,
  serverCpus,
  loadCpus,
  /** What every server's RoleSpec gets: its CPUs when pinned, nothing otherwise. */
  serverSpec: pinned ? { cpus: serverCpus } : {},
  /** Moves this process (the load generator) to BENCH_LOAD_CPUS, when pinned. */
  pinLoadGenerator(): void {
    if (pinned) execFileSync(taskset!, ['-cp', loadCpus, String(process.pid)], { stdio: 'ignore' })
  },
} as const
