// The lifetime of every process the benchmark starts (its servers and redis-servers): each is kept as
// it starts, so that all are stopped at the end, on an error and on Ctrl-C, and a server that exits
// while the benchmark runs fails the run.
import { startRedisServer, startRoles, type RoleSpec, type RunningRedisServer, type RunningRole } from '@ema/demo-kit'

/** What a role's error message shows of its output: the last 64 KiB. */
const OUTPUT_TAIL = 64 * 1024

const running: RunningRole[] = []
const redisServers: RunningRedisServer[] = []
let stopping = false
/** A role that exited while the benchmark was running; checked after every row. */
let died: RunningRole | undefined

/** Keeps a started role for `stopAll`, and notes it if it exits while the benchmark runs. */
function watch(role: RunningRole): void {
  running.push(role)
  role.child.once('exit', () => {
    if (stopping || role.stopRequested()) return
    died ??= role
    console.error(`\n${role.spec.name} exited (${role.child.exitCode ?? role.child.signalCode})`)
  })
}

async function stopAll(): Promise<void> {
  stopping = true
  await Promise.all(running.map((role) => role.stop()))
  for (const redis of redisServers) await redis.stop()
}

export const processes = {
  /** Every server started so far, in the order they started (their CPU time is read per row). */
  running: running as readonly RunningRole[],

  /** True once `stopAll` began: errors from then on are the stop's, not the benchmark's. */
  get stopping(): boolean {
    return stopping
  },

  /** Starts `specs` one after the other (startRoles) with `env` under each one's own, and keeps them. */
  async start(specs: readonly RoleSpec[], env: NodeJS.ProcessEnv): Promise<void> {
    await startRoles(specs, { env, outputLimit: OUTPUT_TAIL, started: watch })
  },

  /** A redis-server on a free port (@ema/demo-kit), kept to be stopped after the servers. */
  async startRedis(): Promise<RunningRedisServer> {
    const redis = await startRedisServer()
    redisServers.push(redis)
    return redis
  },

  /** Throws, with its output, if a server exited during the run. */
  assertAllAlive(): void {
    if (died !== undefined)
      throw new Error(
        `${died.spec.name} exited (${died.child.exitCode ?? died.child.signalCode}) during the run:\n${died.output()}`,
      )
  },

  stopAll,

  /** On SIGINT/SIGTERM, stops everything and exits 130; on any exit, kills the servers still running. */
  stopOnSignals(): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (stopping) return
        console.error(`\n${signal}: stopping the roles`)
        void stopAll().finally(() => process.exit(130))
      })
    }
    // The last resort (an uncaught error, process.exit elsewhere): no role outlives the benchmark.
    process.on('exit', () => {
      for (const role of running) if (!role.hasExited()) role.child.kill('SIGKILL')
    })
  },
}
