import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { cpuSecondsOf } from './process-cpu.ts'

export interface RoleSpec {
  /** The short name used in errors and to prefix the role's output, e.g. "idp". */
  name: string
  /** The folder `node src/main.ts` runs in (an app's folder; see `appFolder`). */
  cwd: string
  /** A URL that answers 200 once the role is ready. */
  readyUrl: string
  /** The port it will listen on: if given, it must be free before any role starts. */
  port?: number
  /** The script to run, relative to `cwd` or absolute (default `src/main.ts`; `npm start`: the role's bundle). */
  entry?: string
  /** Set for this role only, over `StartRolesOptions.env` (e.g. the port of one of several instances). */
  env?: NodeJS.ProcessEnv
  /** Pin the process to these CPUs (`taskset -c`, e.g. "0"), where taskset exists; else ignored. */
  cpus?: string
}

export interface RunningRole {
  spec: RoleSpec
  child: ChildProcess
  /** What its stdout and stderr carried (the last `outputLimit` characters, if set). */
  output(): string
  /** CPU seconds (user + system) the process has used so far, from /proc; undefined off Linux. */
  cpuSeconds(): number | undefined
  hasExited(): boolean
  /** True once `stop()` was called on it (by the caller or by a failed start): its exit is expected. */
  stopRequested(): boolean
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
  stop(): Promise<void>
}

export interface RunningRoles {
  roles: RunningRole[]
  /** Stops every role (SIGTERM, then SIGKILL after 5 s), in parallel. */
  stop(): Promise<void>
  /** Everything the roles wrote to stdout and stderr, each line prefixed by `<name> | `. */
  output(): string
}

export interface StartRolesOptions {
  /** The whole environment of every role (plus its own `RoleSpec.env`). */
  env: NodeJS.ProcessEnv
  /** Called as soon as each role is spawned, before it is ready: lets the caller stop it on Ctrl-C. */
  started?: (role: RunningRole) => void
  /** Keep only the last this many characters of each role's output (default: all of it). */
  outputLimit?: number
  /**
   * Start every role at once and wait for all of them (`npm start`: about half the time on two cores),
   * instead of one after the other. Each role's ready URL must then turn 200 on its own once the roles
   * it needs are up, as every role's does. Default false: one after the other, so that a failure names
   * the first role at fault.
   */
  together?: boolean
}

/** A role's port was taken before anything started: another server would answer its ready check. */
export class PortInUseError extends Error {
  readonly port: number
  readonly role: string
  constructor(port: number, role: string) {
    super(`port ${port} (${role}) is already in use`)
    this.port = port
    this.role = role
  }
}

const READY_TIMEOUT_MS = 30_000
const KILL_AFTER_MS = 5_000

/**
 * Starts each role as its own process (`node src/main.ts` in its folder, or the `entry` given: `npm start`
 * gives each role's bundle, decision 0105), one after the other, each ready (its ready URL answers 200) before the next starts, or all at once
 * (`together`). Roles are reached
 * over HTTP only: nothing of theirs is imported. Throws, after stopping whatever it started, if a
 * port is taken (PortInUseError), a role exits while it is awaited, or one is not ready within 30 s.
 */
export async function startRoles(specs: readonly RoleSpec[], options: StartRolesOptions): Promise<RunningRoles> {
  for (const spec of specs) {
    if (spec.port !== undefined && (await isListening(spec.port))) throw new PortInUseError(spec.port, spec.name)
  }
  const roles: RunningRole[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(roles.map((role) => role.stop()))
  }
  const start = (spec: RoleSpec): RunningRole => {
    const role = spawnRole(spec, options)
    roles.push(role)
    options.started?.(role)
    return role
  }
  try {
    if (options.together === true) {
      await Promise.all(specs.map(start).map((role) => waitUntilReady(role)))
    } else {
      for (const spec of specs) await waitUntilReady(start(spec))
    }
  } catch (error) {
    await stop()
    throw error
  }
  return {
    roles,
    stop,
    output: () => roles.map((role) => role.output().replace(/^/gm, `${role.spec.name} | `)).join('\n'),
  }
}

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((path) => existsSync(path))

function spawnRole(spec: RoleSpec, options: StartRolesOptions): RunningRole {
  const argv = [process.execPath, spec.entry ?? 'src/main.ts']
  // taskset execs the command, so the child's pid (and its /proc CPU time) is the role's own.
  const [command, ...args] =
    spec.cpus !== undefined && TASKSET !== undefined ? [TASKSET, '-c', spec.cpus, ...argv] : argv
  const child = spawn(command!, args, {
    cwd: spec.cwd,
    env: { ...options.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const limit = options.outputLimit
  let text = ''
  const keep = (chunk: Buffer) => {
    text += chunk.toString()
    if (limit !== undefined && text.length > limit * 2) text = text.slice(-limit)
  }
  // Always drained: a role writes its log lines synchronously, so a full pipe would stall it.
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  // A spawn that fails (a wrong cwd, no processes left) is an 'error' event: kept, and reported by
  // waitUntilReady, instead of crashing the caller with an unhandled event.
  let spawnError: Error | undefined
  child.once('error', (error) => {
    spawnError = error
  })
  const hasExited = () => spawnError !== undefined || child.exitCode !== null || child.signalCode !== null
  let stopping = false
  return {
    spec,
    child,
    output: () =>
      `${limit === undefined ? text : text.slice(-limit)}${spawnError === undefined ? '' : `\n(could not start: ${spawnError.message})`}`,
    cpuSeconds: () => cpuSecondsOf(child.pid),
    hasExited,
    stopRequested: () => stopping,
    stop: async () => {
      stopping = true
      if (hasExited() || child.pid === undefined) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS)
      await exited
      clearTimeout(timer)
    },
  }
}

async function waitUntilReady(role: RunningRole): Promise<void> {
  const { spec, child } = role
  const deadline = Date.now() + READY_TIMEOUT_MS
  const { hostname, port, protocol } = new URL(spec.readyUrl)
  const readyPort = Number(port === '' ? (protocol === 'https:' ? 443 : 80) : port)
  while (Date.now() < deadline) {
    if (role.hasExited()) {
      throw new Error(
        `${spec.name} exited (${child.exitCode ?? child.signalCode}) before ${spec.readyUrl} answered:\n${role.output()}`,
      )
    }
    // Until the role listens, a bare TCP connect asks: far less CPU than a fetch, while the roles start.
    if (await isListening(readyPort, hostname)) {
      try {
        // A port that accepts connections but never answers must not hold us past the deadline.
        const response = await fetch(spec.readyUrl, {
          signal: AbortSignal.timeout(Math.max(100, Math.min(2000, deadline - Date.now()))),
        })
        await response.arrayBuffer()
        if (response.status === 200) return
      } catch {
        // not answering yet
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${spec.name} did not answer ${spec.readyUrl} within ${READY_TIMEOUT_MS / 1000} s:\n${role.output()}`)
}

function isListening(port: number, host = 'localhost'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: host.replace(/^\[(.*)\]$/, '$1'), port })
    // A host that never answers (no refusal either) must not hold a caller past its deadline.
    socket.setTimeout(2000, () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
