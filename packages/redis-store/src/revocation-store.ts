import type { RevocationStore } from '@ema/tokens'
import type { RedisConnection } from './connect-redis.ts'
import { revocationKey } from './keys.ts'

export interface RedisRevocationStoreOptions {
  connection: RedisConnection
  /** The deployment's key prefix (`REDIS_KEY_PREFIX`). */
  prefix: string
}

/**
 * A RevocationStore that every instance of the authorization server shares (RFC 7009, decision 0060):
 * `revoke` is `SET <prefix>:revoked:<sha256(jti)> 1 PXAT <exp>`, `isRevoked` an `EXISTS`. The entry
 * lives until the token's own `exp`, never less (run Redis with `noeviction`, decision 0004). When
 * Redis cannot answer in time both reject with StoreUnavailableError (503): fail closed (decision 0040).
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #connection: RedisConnection
  readonly #prefix: string

  constructor(options: RedisRevocationStoreOptions) {
    this.#connection = options.connection
    this.#prefix = options.prefix
  }

  async revoke(jti: string, expiresAt: Date): Promise<void> {
    const key = revocationKey(this.#prefix, jti)
    const at = Math.max(expiresAt.getTime(), 1)
    await this.#connection.run((redis) => redis.set(key, '1', { expiration: { type: 'PXAT', value: at } }))
  }

  async isRevoked(jti: string): Promise<boolean> {
    const key = revocationKey(this.#prefix, jti)
    return (await this.#connection.run((redis) => redis.exists(key))) > 0
  }
}
