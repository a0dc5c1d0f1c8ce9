import type { Server } from 'node:http'
import type { Logger } from './logger.ts'
import { describeCause } from './describe-cause.ts'

export interface GracefulShutdownOptions {
  /** The role's listeners (HTTP, and HTTPS where it has one), all drained together. */
  servers: readonly Server[]
  log: Logger
  /** Most milliseconds in-flight requests get to finish once shutdown began; then their connections are cut. Default 10000. */
  timeoutMs?: number
  /**
   * Called once when draining begins, before waiting for requests in flight: end what never finishes
   * on its own (server-sent event streams, `OpenStreams`). A throw is logged, not fatal.
   */
  onDrain?: () => void
  /** Run in order once the server has stopped (close the store connection …). A failure is logged, not fatal. */
  closers?: ReadonlyArray<() => Promise<void>>
  /** Default SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[]
  /** Default `process.exit`. */
  exit?: (code: number) => void
}

export interface GracefulShutdown {
  /** True once shutdown began (for `/readyz`). */
  draining(): boolean
  /** Begins the shutdown as a signal would; resolves when done (before `exit`). */
  shutDown(reason: string): Promise<void>
}

/**
 * On SIGTERM (or SIGINT) a role stops accepting connections, lets the requests in flight finish
 * within `timeoutMs` (idle keep-alive connections are closed at once, busy ones when their response
 * is sent), then cuts what is left, runs `closers` (its store connection), and exits 0. A second
 * signal during the drain exits 1 at once.
 */
export function gracefulShutdown(options: GracefulShutdownOptions): GracefulShutdown {
  const { servers, log } = options
  const timeoutMs = options.timeoutMs ?? 10_000
  const exit = options.exit ?? ((code: number) => process.exit(code))
  let shutting: Promise<void> | undefined

  const shutDown = (reason: string): Promise<void> => {
    shutting ??= (async () => {
      log.info('shutting down: no new connections; finishing requests in flight', { reason, timeout_ms: timeoutMs })
      const closed = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
      for (const server of servers) server.closeIdleConnections()
      try {
        options.onDrain?.()
      } catch (error) {
        log.warn('ending long-lived responses failed', { cause: describeCause(error) })
      }
      // A connection that finishes its response becomes idle: close it then, not at the deadline.
      const sweeper = setInterval(() => {
        for (const server of servers) server.closeIdleConnections()
      }, 50)
      const deadline = setTimeout(() => {
        log.warn('requests still in flight at the shutdown deadline; closing their connections')
        for (const server of servers) server.closeAllConnections()
      }, timeoutMs)
      await closed
      clearInterval(sweeper)
      clearTimeout(deadline)
      for (const close of options.closers ?? []) {
        try {
          await close()
        } catch (error) {
          log.warn('a resource did not close cleanly', { cause: describeCause(error) })
        }
      }
      log.info('stopped')
      exit(0)
    })()
    return shutting
  }

  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      if (shutting !== undefined) {
        log.warn(`${signal} again during shutdown: exiting now`)
        exit(1)
        return
      }
      void shutDown(signal)
    })
  }
  return { draining: () => shutting !== undefined, shutDown }
}
