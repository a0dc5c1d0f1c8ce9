import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { connect, createServer } from 'node:net'

export interface RunningRedisServer {
  /** The port it listens on, on 127.0.0.1 (kept across `stop()` and `start()`). */
  port: number
  /** `redis://127.0.0.1:<port>` */
  url: string
  /** Stops it (SHUTDOWN NOSAVE via SIGTERM, SIGKILL after 5 s); resolves once it has exited. Idempotent. */
  stop(): Promise<void>
  /** Starts it again on the same port, empty (nothing is saved), after a `stop()`. */
  start(): Promise<void>
  /** Freezes it (SIGSTOP): connections stay open but nothing answers, as with a hung server. */
  pause(): void
  /** Thaws it after `pause()` (SIGCONT). */
  resume(): void
  /** What it wrote to stdout and stderr (the last 20,000 characters). */
  output(): string
}

export interface StartRedisServerOptions {
  /** Default: a free port. */
  port?: number
  /** The program. Default `redis-server` on the PATH (Debian package `redis-server`). */
  command?: string
}

/** The redis-server program is not installed. */
export class RedisServerNotFoundError extends Error {
  constructor(command: string) {
    super(
      `${command} was not found: install Redis 7 (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis), or set REDIS_URL`,
    )
    this.name = 'RedisServerNotFoundError'
  }
}

/** Whether `redis-server` (or `command`) can be run here. */
export function hasRedisServer(command = 'redis-server'): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0
}

/**
 * Starts a throw-away `redis-server` on 127.0.0.1 and a free port, for tests and `npm run
 * start:cluster`: no persistence (no RDB, no AOF), `noeviction` (a full Redis refuses writes rather
 * than evicting a live replay entry, decision 0040). Resolves once it accepts connections.
 */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RunningRedisServer> {
  const command = options.command ?? 'redis-server'
  if (!hasRedisServer(command)) throw new RedisServerNotFoundError(command)
  const port = options.port ?? (await freePort())
  let child: ChildProcess | undefined
  let text = ''

  const start = async (): Promise<void> => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) return
    const process_ = spawn(
      command,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child = process_
    // A test runner that exits (or is interrupted) takes its Redis with it.
    const reap = () => process_.kill('SIGKILL')
    process.once('exit', reap)
    process_.once('exit', () => process.removeListener('exit', reap))
    const keep = (chunk: Buffer) => {
      text = (text + chunk.toString()).slice(-20_000)
    }
    process_.stdout?.on('data', keep)
    process_.stderr?.on('data', keep)
    const deadline = Date.now() + 10_000
    while (!(await accepts(port))) {
      if (process_.exitCode !== null || process_.signalCode !== null)
        throw new Error(`redis-server exited (${process_.exitCode ?? process_.signalCode}) on port ${port}:\n${text}`)
      if (Date.now() > deadline)
        throw new Error(`redis-server did not accept connections on port ${port} within 10 s:\n${text}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  const stop = async (): Promise<void> => {
    const running = child
    running?.kill('SIGCONT') // a paused server cannot handle SIGTERM
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()))
    running.kill('SIGTERM')
    const timer = setTimeout(() => running.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    output: () => text,
  }
}

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Whether something accepts connections on the port (this Redis keeps no data, so it has nothing to load first). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => done(true))
  })
}
