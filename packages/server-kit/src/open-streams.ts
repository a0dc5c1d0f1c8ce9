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
      res.end()
      return
    }
    this.#streams.add(res)
    res.once('close', () => this.#streams.delete(res))
  }

  /** Ends every stream held, and every one added from now on. */
  endAll(): void {
    this.#ended = true
    for (const res of this.#streams) res.end()
    this.#streams.clear()
  }

  get size(): number {
    return this.#streams.size
  }
}
