import { TemporarilyUnavailableError } from './errors.ts'

/**
 * Remembers which access tokens were revoked (RFC 7009, decision 0060), by `jti`, until each token's
 * own `exp`: after that the token is refused for having expired, so the entry is no longer needed.
 * The same shape as the ReplayStore (AS-23): in memory by default, in Redis (`@ema/redis-store`) when
 * every instance must share it.
 */
export interface RevocationStore {
  /**
   * Records `jti` as revoked until `expiresAt`. Idempotent. Rejects with a TemporarilyUnavailableError
   * (503) when it cannot record it (a full in-memory store, an unreachable shared store): the caller
   * then answers 503, never a 200 that revoked nothing.
   */
  revoke(jti: string, expiresAt: Date): Promise<void>
  /**
   * Whether `jti` was revoked (and its entry still lives). Rejects with a TemporarilyUnavailableError
   * when it cannot answer: the caller then treats the token as not acceptable (fail closed).
   */
  isRevoked(jti: string): Promise<boolean>
}

export interface InMemoryRevocationStoreOptions {
  /** Most live entries held; past it, new revocations are refused (503), never evicting a live one. Default 1,000,000. */
  maxEntries?: number
  now?: () => Date
}

/** A single-process RevocationStore. Expired entries are swept; live ones are never evicted. */
export class InMemoryRevocationStore implements RevocationStore {
  readonly #entries = new Map<string, number>()
  readonly #maxEntries: number
  readonly #now: () => Date
  #nextSweep = 0

  constructor(options: InMemoryRevocationStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 1_000_000
    this.#now = options.now ?? (() => new Date())
  }

  async revoke(jti: string, expiresAt: Date): Promise<void> {
    const now = this.#now().getTime()
    if (this.#entries.size >= this.#maxEntries || now >= this.#nextSweep) this.#sweep(now)
    if (!this.#entries.has(jti) && this.#entries.size >= this.#maxEntries) {
      throw new TemporarilyUnavailableError('too many revoked tokens are held; try again later')
    }
    this.#entries.set(jti, Math.max(expiresAt.getTime(), this.#entries.get(jti) ?? 0))
  }

  async isRevoked(jti: string): Promise<boolean> {
    const until = this.#entries.get(jti)
    return until !== undefined && until > this.#now().getTime()
  }

  /** Live entries (for tests and metrics). */
  get size(): number {
    return this.#entries.size
  }

  #sweep(now: number): void {
    for (const [jti, until] of this.#entries) if (until <= now) this.#entries.delete(jti)
    this.#nextSweep = now + 10_000
  }
}
