import { randomBytes } from 'node:crypto'
import type { RedisConnection } from './connect-redis.ts'
import { documentKey } from './keys.ts'

export interface RedisVersionedDocumentOptions {
  connection: RedisConnection
  /** The deployment's key prefix (`REDIS_KEY_PREFIX`). */
  prefix: string
  /** The document's name below the prefix, e.g. `policy:default`. */
  name: string
}

/** What the document holds now: its revision (`''` before the first write) and its text (undefined when cleared or never written). */
export interface DocumentSnapshot {
  revision: string
  text: string | undefined
}

/**
 * Writes ARGV[2] as the text (or clears it when ARGV[3] is '1') with the new revision ARGV[4], only when
 * the revision is still ARGV[1] ('' = never written), or whatever it is when ARGV[1] is '*'. Returns
 * the new revision, or false (nil) when another write came first.
 */
const WRITE = `
local current = redis.call('HGET', KEYS[1], 'revision') or ''
if ARGV[1] ~= '*' and current ~= ARGV[1] then return false end
if ARGV[3] == '1' then redis.call('HDEL', KEYS[1], 'text') else redis.call('HSET', KEYS[1], 'text', ARGV[2]) end
redis.call('HSET', KEYS[1], 'revision', ARGV[4])
return ARGV[4]`

/**
 * One small document that every instance of a role shares, with a revision that changes on every
 * write (decision 0080): one hash `<prefix>:<name>` with the fields `text` and `revision`, no expiry.
 *
 * A reader keeps a parsed copy and asks only for the revision ({@link revision}, one `HGET`) before
 * each use, fetching the text again only when it changed: every instance sees a write at its next
 * use, and a Redis that cannot answer fails the use (StoreUnavailableError), never serves a stale copy.
 * A revision is random (never reused, even after a Redis that lost its data), so a kept copy is never
 * mistaken for a newer document. Writes are compare-and-set on the revision (a short Lua script), so
 * two administrators' concurrent edits never lose one another.
 */
export class RedisVersionedDocument {
  readonly #connection: RedisConnection
  readonly #key: string

  constructor(options: RedisVersionedDocumentOptions) {
    this.#connection = options.connection
    this.#key = documentKey(options.prefix, options.name)
  }

  /** The key in Redis (for logs and documentation). */
  get key(): string {
    return this.#key
  }

  /** The current revision (`''` before the first write): one `HGET`. */
  async revision(): Promise<string> {
    return (await this.#connection.run((redis) => redis.hGet(this.#key, 'revision'))) ?? ''
  }

  /** The revision and the text, read together. */
  async read(): Promise<DocumentSnapshot> {
    const [revision, text] = await this.#connection.run((redis) => redis.hmGet(this.#key, ['revision', 'text']))
    return { revision: revision ?? '', text: text ?? undefined }
  }

  /**
   * Writes `text` (undefined clears it) with a new revision. With `ifRevision`, only if the document is
   * still at that revision (`''`: never written): resolves the new revision, or undefined when another
   * write came first. Without, unconditionally.
   */
  async write(text: string | undefined, ifRevision?: string): Promise<string | undefined> {
    const next = randomBytes(12).toString('base64url')
    const answer = await this.#connection.run((redis) =>
      redis.eval(WRITE, {
        keys: [this.#key],
        arguments: [ifRevision ?? '*', text ?? '', text === undefined ? '1' : '0', next],
      }),
    )
    return typeof answer === 'string' ? answer : undefined
  }
}
