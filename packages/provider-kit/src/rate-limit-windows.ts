/** One fixed window of one rate-limit key: how many requests it counted and when it ends (epoch ms). */
export interface RateLimitWindow {
  count: number
  endsAt: number
}

/**
 * Where `rateLimitTokenEndpoint` keeps its fixed windows: in this process (the default), or in a
 * store that several processes share (`@ema/redis-store`), so that N instances enforce one limit.
 *
 * A store that cannot answer rejects with `StoreUnavailableError` (`@ema/tokens`), within a bounded
 * time; the token endpoint then refuses the request with 503 (fail closed, decision 0040).
 */
export interface RateLimitWindows {
  /**
   * Counts one request against `key`'s live window, starting a window of `windowMs` at `at` when none
   * is live, and returns the window after counting. Atomic across every process sharing the store.
   */
  hit(key: string, at: number, windowMs: number): Promise<RateLimitWindow>
  /** `key`'s live window at `at`, without counting; `undefined` when none is live. */
  peek(key: string, at: number): Promise<RateLimitWindow | undefined>
  /** Takes back one request counted in `key`'s live window (no-op when none is live). */
  unhit(key: string, at: number): Promise<void>
}

/**
 * The windows of one process. Memory is bounded by the keys seen in one window: expired windows are
 * swept at most once a window, and a live window is never dropped (dropping one would reset a
 * client's count under load, as in decision 0004); a window taken back to zero is dropped.
 */
export class InMemoryRateLimitWindows implements RateLimitWindows {
  readonly #windows = new Map<string, { startsAt: number; endsAt: number; count: number }>()
  #nextSweep = 0

  async hit(key: string, at: number, windowMs: number): Promise<RateLimitWindow> {
    this.#sweep(at, windowMs)
    let window = this.#live(key, at)
    if (window === undefined) {
      window = { startsAt: at, endsAt: at + windowMs, count: 0 }
      this.#windows.set(key, window)
    }
    window.count += 1
    return { count: window.count, endsAt: window.endsAt }
  }

  async peek(key: string, at: number): Promise<RateLimitWindow | undefined> {
    const window = this.#live(key, at)
    return window === undefined ? undefined : { count: window.count, endsAt: window.endsAt }
  }

  async unhit(key: string, at: number): Promise<void> {
    const window = this.#live(key, at)
    if (window === undefined) return
    window.count -= 1
    if (window.count <= 0) this.#windows.delete(key)
  }

  /** Live windows (for tests and metrics). */
  get size(): number {
    return this.#windows.size
  }

  #live(key: string, at: number) {
    const window = this.#windows.get(key)
    return window !== undefined && at < window.endsAt ? window : undefined
  }

  #sweep(at: number, windowMs: number): void {
    if (at < this.#nextSweep) return
    this.#nextSweep = at + windowMs
    for (const [key, window] of this.#windows) if (at >= window.endsAt) this.#windows.delete(key)
  }
}
