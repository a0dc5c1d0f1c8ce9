// Starts the roles the benchmark loads as their own processes (`node src/main.ts` in apps/<role>,
// as `npm start` does), waits until each one's metadata URL answers 200, and stops them. The
// benchmark talks to them over HTTP only: nothing of theirs is imported.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'

export interface RoleSpec {
  /** The short name shown in the report, e.g. "idp". */
  name: string
  /** The folder under apps/. */
  folder: string
  /** The port it listens on (checked to be free first). */
  port: number
  /** A URL that answers 200 once the role is ready. */
  readyUrl: string
}

export interface RunningRole {
  spec: RoleSpec
  child: ChildProcess
  /** The last 64 KiB its stdout and stderr carried, for error messages. */
  output(): string
  /** CPU seconds (user + system) the process has used so far, from /proc; undefined off Linux. */
  cpuSeconds(): number | undefined
}

const root = fileURLToPath(new URL('../../', import.meta.url))
const OUTPUT_TAIL = 64 * 1024

/**
 * Starts the roles one after the other with `env`, each ready before the next starts. Throws (after
 * stopping whatever it started) if a port is taken, a role exits, or one is not ready within 30 s.
 * `started` receives each role as soon as it is spawned, so that the caller can stop it on Ctrl-C.
 */
export async function startRoles(specs: readonly RoleSpec[], env: NodeJS.ProcessEnv, started: (role: RunningRole) => void): Promise<RunningRole[]> {
  for (const spec of specs) {
    // Otherwise another server on the port would answer the ready check while ours dies of EADDRINUSE.
    if (await isListening(spec.port)) throw new Error(`port ${spec.port} (${spec.name}) is already in use; set BENCH_BASE_PORT to move the benchmark's ports`)
  }
  const running: RunningRole[] = []
  for (const spec of specs) {
    const child = spawn(process.execPath, ['src/main.ts'], { cwd: `${root}apps/${spec.folder}`, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let tail = ''
    const keep = (chunk: Buffer) => {
      tail += chunk.toString()
      if (tail.length > OUTPUT_TAIL * 2) tail = tail.slice(-OUTPUT_TAIL)
    }
    // Always drained: a role writes its log lines synchronously, so a full pipe would stall it.
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    const role: RunningRole = {
      spec,
      child,
      output: () => tail.slice(-OUTPUT_TAIL),
      cpuSeconds: () => cpuSecondsOf(child.pid),
    }
    running.push(role)
    started(role)
    await waitUntilReady(role)
  }
  return running
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
export async function stopRole(role: RunningRole): Promise<void> {
  const { child } = role
  if (hasExited(child)) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

async function waitUntilReady(role: RunningRole): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (hasExited(role.child)) {
      throw new Error(`${role.spec.name} exited (${role.child.exitCode ?? role.child.signalCode}) before ${role.spec.readyUrl} answered:\n${role.output()}`)
    }
    try {
      const response = await fetch(role.spec.readyUrl)
      await response.arrayBuffer()
      if (response.status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${role.spec.name} did not answer ${role.spec.readyUrl} within 30 s:\n${role.output()}`)
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: 'localhost', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * utime + stime of a process from /proc/<pid>/stat (fields 14 and 15, after the parenthesised
 * command name), in USER_HZ ticks, which Linux always reports at 100 per second.
 */
function cpuSecondsOf(pid: number | undefined): number | undefined {
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
