import type { ServerResponse } from 'node:http'

/**
 * The long-lived responses a role holds open (server-sent event streams). They never finish on their
 * own, so a graceful shutdown ends them when draining begins (`gracefulShutdown({ onDrain })`);
 * otherwise each would hold its connection until the shutdown deadline. A client that reconnects then
 * finds another instance.
 */
export class OpenStreams {
  readonly #streams = new Set<ServerResponse>()
  #ended = false

  /** Holds `res` until it closes; if draining already began, ends it at once. */
  add(res: ServerResponse): void {
    if (this.#ended) {
      end(res)
      return
    }
    this.#streams.add(res)
    res.once('close', () => this.#streams.delete(res))
  }

  /** Ends every stream held, and every one added from now on. */
  endAll(): void {
    this.#ended = true
    for (const res of this.#streams) end(res)
    this.#streams.clear()
  }

  /** True once `endAll()` ran: a new stream should not be opened. */
  get ended(): boolean {
    return this.#ended
  }

  get size(): number {
    return this.#streams.size
  }
}

/**
 * Ends a stream its writer does not know is ended: a write that still comes (a heartbeat, an event
 * already queued) must be dropped, not raise an unhandled 'error' that would crash the draining process.
 */
function end(res: ServerResponse): void {
  res.on('error', () => {})
  res.end()
}
