import type { AuditEvent, AuditTrail } from '@ema/server-kit'
import type { RedisConnection } from './connect-redis.ts'
import { auditKey } from './keys.ts'

export interface RedisAuditTrailOptions {
  connection: RedisConnection
  /** The deployment's key prefix (`REDIS_KEY_PREFIX`). */
  prefix: string
  /** About how many events the stream keeps (trimmed approximately, `MAXLEN ~`). Default 1000. */
  keep?: number
}

/**
 * The audit trail an admin console shows, shared by every instance of the role (decision 0080): a
 * capped Redis stream `<prefix>:audit`, one entry per event (its JSON in the field `event`), `XADD …
 * MAXLEN ~ keep`, read newest first with `XREVRANGE … COUNT keep`. Events arrive already sanitised by
 * server-kit's audit log (no token, secret or assertion). The JSON lines for a SIEM are still each
 * process's own (`AUDIT_LOG`). When Redis cannot answer, `append` and `recent` reject with
 * StoreUnavailableError.
 */
export class RedisAuditTrail implements AuditTrail {
  readonly #connection: RedisConnection
  readonly #key: string
  readonly #keep: number

  constructor(options: RedisAuditTrailOptions) {
    this.#connection = options.connection
    this.#key = auditKey(options.prefix)
    this.#keep = options.keep ?? 1000
  }

  async append(event: AuditEvent): Promise<void> {
    await this.#connection.run((redis) =>
      redis.xAdd(
        this.#key,
        '*',
        { event: JSON.stringify(event) },
        { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: this.#keep } },
      ),
    )
  }

  async recent(): Promise<AuditEvent[]> {
    const entries = await this.#connection.run((redis) => redis.xRevRange(this.#key, '+', '-', { COUNT: this.#keep }))
    const events: AuditEvent[] = []
    for (const entry of entries) {
      try {
        events.push(JSON.parse(String(entry.message.event)) as AuditEvent)
      } catch {
        // not one of ours: skipped
      }
    }
    return events
  }
}
