import { TemporarilyUnavailableError } from './errors.ts'

/**
 * Remembers which assertion ids were used (AS-23, SEC-05). An entry must live at least until the
 * assertion's `exp`; an implementation that evicts live entries (an LRU cache) breaks replay detection.
 */
export interface ReplayStore {
  /**
   * Records `id` as used until `expiresAt`. Resolves `true` the first time and `false` for every
   * later call while the entry lives. Atomic: of concurrent calls with one id, exactly one gets `true`,
   * across every process that shares the store.
   *
   * Rejects with a `TemporarilyUnavailableError` (HTTP 503) when it cannot answer: a full in-memory
   * store, or a shared store that cannot be reached in time (`StoreUnavailableError`, which must come
   * within a bounded time, never as a hang). The caller then refuses the assertion: an unanswered
   * lookup is never taken as a first use (fail closed, decision 0040).
   */
  markUsed(id: string, expiresAt: Date): Promise<boolean>
}

export interface InMemoryReplayStoreOptions {
  /**
   * Most live entries held; past it, new ids are refused (fail closed), never evicting a live one.
   * Size it as (redemptions per second at peak) × (the longest ID-JAG lifetime + the clock skew), in
   * seconds: an entry lives until its assertion's `exp` + skew. Default 1,000,000.
   */
  maxEntries?: number
  /**
   * Called once when the live entries reach 80 % of `maxEntries` (and again only after they fell back
   * under 70 %), so that an operator learns of the limit before it refuses anything.
   */
  onNearlyFull?: (size: number, maxEntries: number) => void
  now?: () => Date
}

/** A single-process ReplayStore. Expired entries are swept; live ones are never evicted. */
export class InMemoryReplayStore implements ReplayStore {
  readonly #entries = new Map<string, number>()
  readonly #maxEntries: number
  readonly #now: () => Date
  readonly #onNearlyFull: ((size: number, maxEntries: number) => void) | undefined
  #nextSweep = 0
  #warned = false

  constructor(options: InMemoryReplayStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 1_000_000
    this.#now = options.now ?? (() => new Date())
    this.#onNearlyFull = options.onNearlyFull
  }

  async markUsed(id: string, expiresAt: Date): Promise<boolean> {
    const now = this.#now().getTime()
    const known = this.#entries.get(id)
    if (known !== undefined && known > now) return false
    if (this.#entries.size >= this.#maxEntries || now >= this.#nextSweep) this.#sweep(now)
    if (this.#entries.size >= this.#maxEntries) {
      throw new TemporarilyUnavailableError('too many assertions are in flight; try again later')
    }
    this.#entries.set(id, expiresAt.getTime())
    this.#watchLevel()
    return true
  }

  /** Forgets every redeemed `jti`: the demo's start (the authorization server's `POST /demo/reset`). */
  clear(): void {
    this.#entries.clear()
  }

  /** Live entries (for tests and metrics). */
  get size(): number {
    return this.#entries.size
  }

  #sweep(now: number): void {
    for (const [id, expiresAt] of this.#entries) if (expiresAt <= now) this.#entries.delete(id)
    this.#nextSweep = now + 10_000
    this.#watchLevel()
  }

  #watchLevel(): void {
    const size = this.#entries.size
    if (!this.#warned && size >= this.#maxEntries * 0.8) {
      this.#warned = true
      this.#onNearlyFull?.(size, this.#maxEntries)
    } else if (this.#warned && size < this.#maxEntries * 0.7) {
      this.#warned = false
    }
  }
}
