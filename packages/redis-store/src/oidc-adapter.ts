import { StoreUnavailableError } from '@ema/tokens'
import type { Adapter, AdapterPayload } from 'oidc-provider'
import type { RedisClient, RedisConnection } from './connect-redis.ts'
import { grantKey, oidcKey, sessionUidKey, userCodeKey } from './keys.ts'

export interface RedisOidcAdapterOptions {
  connection: RedisConnection
  /** The deployment's key prefix (`REDIS_KEY_PREFIX`). */
  prefix: string
}

/** The models whose entries belong to a Grant and go when it is revoked (`revokeByGrantId`). */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
])

/** Marks an entry consumed only if it still exists: HSET on a missing key would create one that never expires. */
const CONSUME = `if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'consumed', ARGV[1]) end return 0`

/** Deletes every entry of a grant and the grant's index in one step, so none is added half-way through. */
const REVOKE_GRANT = `local members = redis.call('SMEMBERS', KEYS[1])
for _, key in ipairs(members) do redis.call('DEL', key) end
redis.call('DEL', KEYS[1])
return #members`

/**
 * oidc-provider's error handler answers an error with `expose` as `{ error: message, error_description }`
 * with status `statusCode`; anything else becomes a 500 `server_error`. A store outage inside the
 * provider (loading a session, a refresh token, a client assertion's jti) is therefore thrown in
 * this shape: 503 `temporarily_unavailable`, the same answer our own grants give.
 */
export class ProviderStoreUnavailableError extends StoreUnavailableError {
  readonly expose = true
  readonly statusCode = 503
  readonly error_description: string
  constructor(cause: unknown) {
    super({ cause })
    this.error_description = this.description
    this.message = this.error // oidc-provider's convention: the message is the error code
  }
}

/**
 * An oidc-provider adapter on Redis (oidc-provider's `adapter` configuration): sessions,
 * interactions, grants, authorization codes, refresh and access tokens, client-assertion `jti`s
 * (ReplayDetection) and the rest, shared by every instance of the provider and kept across restarts.
 *
 * Each entry is one hash `<prefix>:oidc:<Model>:<id>` with fields `payload` (JSON) and, once used,
 * `consumed` (epoch seconds), expiring after oidc-provider's `expiresIn`. Secondary indexes: a
 * session's `uid`, a device flow's `userCode`, and one set per grant listing the keys of its
 * entries (it expires with the last of them), so that `revokeByGrantId` deletes them all at once.
 * Writes of one entry and its indexes go in one MULTI; `consume` and `revokeByGrantId` are scripts.
 *
 * Every failure is a {@link ProviderStoreUnavailableError}: 503 `temporarily_unavailable` on the
 * wire, never a 500, and within the connection's command timeout.
 *
 * Does NOT make oidc-provider's own read-then-write sequences atomic (ReplayDetection's `find` then
 * `upsert`, a code's `consume` after its check): two instances can interleave them as two requests
 * in one process can.
 */
export function redisOidcAdapter(options: RedisOidcAdapterOptions): (model: string) => Adapter {
  return (model) => new RedisOidcModelAdapter(model, options)
}

class RedisOidcModelAdapter implements Adapter {
  readonly #model: string
  readonly #connection: RedisConnection
  readonly #prefix: string

  constructor(model: string, options: RedisOidcAdapterOptions) {
    this.#model = model
    this.#connection = options.connection
    this.#prefix = options.prefix
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.#key(id)
    const ttlMs = typeof expiresIn === 'number' ? Math.max(1, Math.round(expiresIn * 1000)) : undefined
    await this.#run((redis) => {
      const multi = redis.multi().del(key).hSet(key, 'payload', JSON.stringify(payload))
      if (ttlMs !== undefined) multi.pExpire(key, ttlMs)
      const index = (indexKey: string) =>
        multi.set(indexKey, id, ttlMs === undefined ? {} : { expiration: { type: 'PX', value: ttlMs } })
      if (this.#model === 'Session' && typeof payload.uid === 'string') index(sessionUidKey(this.#prefix, payload.uid))
      if (typeof payload.userCode === 'string') index(userCodeKey(this.#prefix, payload.userCode))
      if (GRANTABLE.has(this.#model) && typeof payload.grantId === 'string') {
        const grant = grantKey(this.#prefix, payload.grantId)
        multi.sAdd(grant, key)
        if (ttlMs === undefined) multi.persist(grant)
        else multi.pExpire(grant, ttlMs, 'NX').pExpire(grant, ttlMs, 'GT') // lives as long as its longest entry
      }
      return multi.exec()
    })
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const entry = await this.#run((redis) => redis.hGetAll(this.#key(id)))
    if (entry.payload === undefined) return undefined
    const payload = JSON.parse(entry.payload) as AdapterPayload
    return entry.consumed === undefined ? payload : { ...payload, consumed: Number(entry.consumed) }
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findByIndex(sessionUidKey(this.#prefix, uid), (payload) => payload.uid === uid)
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findByIndex(userCodeKey(this.#prefix, userCode), (payload) => payload.userCode === userCode)
  }

  async consume(id: string): Promise<void> {
    const consumedAt = String(Math.floor(Date.now() / 1000))
    await this.#run((redis) => redis.eval(CONSUME, { keys: [this.#key(id)], arguments: [consumedAt] }))
  }

  async destroy(id: string): Promise<void> {
    await this.#run((redis) => redis.del(this.#key(id)))
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#run((redis) => redis.eval(REVOKE_GRANT, { keys: [grantKey(this.#prefix, grantId)] }))
  }

  async #findByIndex(
    indexKey: string,
    matches: (payload: AdapterPayload) => boolean,
  ): Promise<AdapterPayload | undefined> {
    const id = await this.#run((redis) => redis.get(indexKey))
    if (id === null) return undefined
    const payload = await this.find(id)
    return payload !== undefined && matches(payload) ? payload : undefined // an index left by an older entry
  }

  #key(id: string): string {
    return oidcKey(this.#prefix, this.#model, id)
  }

  async #run<T>(operation: (client: RedisClient) => Promise<T>): Promise<T> {
    try {
      return await this.#connection.run(operation)
    } catch (error) {
      throw new ProviderStoreUnavailableError(error instanceof StoreUnavailableError ? error.cause : error)
    }
  }
}
