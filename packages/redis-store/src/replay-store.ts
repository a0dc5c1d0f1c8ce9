import type { ReplayStore } from '@ema/tokens'
import type { RedisConnection } from './connect-redis.ts'
import { replayKey } from './keys.ts'

export interface RedisReplayStoreOptions {
  connection: RedisConnection
  /** The deployment's key prefix (`REDIS_KEY_PREFIX`). */
  prefix: string
}

/**
 * A ReplayStore that every instance of the authorization server shares (AS-23, SEC-05; decision 0040).
 *
 * `markUsed` is one `SET <prefix>:replay:<sha256(id)> 1 NX PXAT <expiresAt>`: Redis runs it atomically,
 * so of any number of concurrent redemptions of one ID-JAG on any number of instances, exactly one
 * sets the key. The entry expires at the assertion's `exp` plus skew (the caller's `expiresAt`), the
 * last moment it could be accepted, and never earlier: run Redis with a `noeviction` policy (or
 * `volatile-*` with room to spare), as docs/deployment.md says, so that it never evicts a live entry
 * (decision 0004).
 *
 * When Redis cannot answer in time, `markUsed` rejects with StoreUnavailableError (503): the
 * assertion is refused, never accepted unchecked.
 */
export class RedisReplayStore implements ReplayStore {
  readonly #connection: RedisConnection
  readonly #prefix: string

  constructor(options: RedisReplayStoreOptions) {
    this.#connection = options.connection
    this.#prefix = options.prefix
  }

  async markUsed(id: string, expiresAt: Date): Promise<boolean> {
    const key = replayKey(this.#prefix, id)
    // PXAT must be positive; an entry whose time has passed is kept for one millisecond.
    const at = Math.max(expiresAt.getTime(), 1)
    const answer = await this.#connection.run((redis) =>
      redis.set(key, '1', { condition: 'NX', expiration: { type: 'PXAT', value: at } }),
    )
    return answer === 'OK'
  }
}
