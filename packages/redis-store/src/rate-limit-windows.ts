import type { RateLimitWindow, RateLimitWindows } from '@ema/provider-kit'
import type { RedisConnection } from './connect-redis.ts'
import { rateLimitKey } from './keys.ts'

export interface RedisRateLimitWindowsOptions {
  connection: RedisConnection
  /** The deployment's key prefix (`REDIS_KEY_PREFIX`). */
  prefix: string
}

/** DECR only a live window: a DECR on a missing key would create one without an expiry. */
const UNHIT = `if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end return 0`

/**
 * Fixed windows on Redis for `rateLimitTokenEndpoint`, shared by every instance (decisions 0010, 0040).
 * One counter per key: `INCR`, then `PEXPIRE … NX` starts the window's clock on its first request;
 * the window ends when Redis expires the counter, so its length is Redis' clock, not the instance's.
 * A store that cannot answer rejects with StoreUnavailableError.
 */
export class RedisRateLimitWindows implements RateLimitWindows {
  readonly #connection: RedisConnection
  readonly #prefix: string

  constructor(options: RedisRateLimitWindowsOptions) {
    this.#connection = options.connection
    this.#prefix = options.prefix
  }

  async hit(key: string, at: number, windowMs: number): Promise<RateLimitWindow> {
    const name = rateLimitKey(this.#prefix, key)
    const [count, , ttl] = await this.#connection.run((redis) =>
      redis.multi().incr(name).pExpire(name, windowMs, 'NX').pTTL(name).exec(),
    )
    return { count: Number(count), endsAt: at + Math.max(0, Number(ttl)) }
  }

  async peek(key: string, at: number): Promise<RateLimitWindow | undefined> {
    const name = rateLimitKey(this.#prefix, key)
    const [count, ttl] = await this.#connection.run((redis) => redis.multi().get(name).pTTL(name).exec())
    if (count === null || count === undefined || Number(ttl) <= 0) return undefined
    return { count: Number(count), endsAt: at + Number(ttl) }
  }

  async unhit(key: string, _at: number): Promise<void> {
    const name = rateLimitKey(this.#prefix, key)
    await this.#connection.run((redis) => redis.eval(UNHIT, { keys: [name] }))
  }
}
