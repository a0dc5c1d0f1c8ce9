import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { writeStdoutLine } from './write-stdout-line.ts'

/**
 * What a security decision came to. Every role uses the same two words, so that a SIEM query for
 * refusals is one query: a token exchange, a redemption or a tool call is `granted` or `refused`.
 */
export type AuditDecision = 'granted' | 'refused'

/**
 * One audit event, one JSON line. The shape is the same in every role: `time` (ISO 8601), `role`
 * (`idp`, `authorization-server`, `resource-server` …), `event` (what happened, e.g.
 * `token_exchange`, `jwt_bearer`, `tool_call`), `decision`, and, when a token was issued or
 * presented, its `jti`, which links the IdP's ID-JAG to the authorization server's redemption and
 * to the MCP server's tool calls. The rest are the role's own fields (user, client, audience,
 * resource, scopes, rule, error …).
 *
 * An event never holds a token, a secret, an assertion or a password (SEC-05): credential-named
 * fields are redacted and anything shaped like a JWT is replaced before the line is written.
 */
export interface AuditEvent {
  time: string
  role: string
  event: string
  decision: AuditDecision
  jti?: string
  [field: string]: unknown
}

/** What a role hands to {@link AuditLog.record}: the event without `time` and `role`, which the log adds. Undefined fields are left out. */
export interface AuditEventInput {
  event: string
  decision: AuditDecision
  jti?: string | undefined
  [field: string]: unknown
}

/** Where audit lines go: env `AUDIT_LOG` = `stdout` (default), `off`, or a file path (JSON lines, appended). */
export type AuditDestination = { kind: 'stdout' } | { kind: 'off' } | { kind: 'file'; path: string }

export interface AuditLog {
  /** Stamps, sanitises, writes and keeps one event (in its trail); returns the event as written. Never throws. */
  record(event: AuditEventInput): AuditEvent
  /**
   * The events kept in the trail, newest first: what an admin console shows. Rejects with
   * `StoreUnavailableError` (`@ema/tokens`) when a shared trail cannot answer.
   */
  recent(): Promise<AuditEvent[]>
}

/**
 * Where an audit log keeps the recent events an admin console shows: this process's memory
 * ({@link InMemoryAuditTrail}, the default), or a store every instance of the role shares
 * (`@ema/redis-store`'s `RedisAuditTrail`), so that each instance's console shows every instance's decisions.
 * The JSON lines for a SIEM (`AUDIT_LOG`) are written by each process whatever the trail.
 */
export interface AuditTrail {
  /** Keeps one (already sanitised) event. Rejects when a shared store cannot; the audit log reports it. */
  append(event: AuditEvent): Promise<void>
  /** The kept events, newest first. Rejects with `StoreUnavailableError` when a shared store cannot answer. */
  recent(): Promise<AuditEvent[]>
}

/** The trail of one process: the last `keep` events (default 1000; 0 keeps none), in memory. */
export class InMemoryAuditTrail implements AuditTrail {
  readonly #kept: AuditEvent[] = []
  readonly #keep: number

  constructor(keep = 1000) {
    this.#keep = keep
  }

  async append(event: AuditEvent): Promise<void> {
    if (this.#keep <= 0) return
    this.#kept.push(event)
    if (this.#kept.length > this.#keep) this.#kept.shift()
  }

  async recent(): Promise<AuditEvent[]> {
    return this.#kept.slice().reverse()
  }
}

export interface AuditLogOptions {
  /** The role that writes, e.g. `idp`. */
  role: string
  destination: AuditDestination
  /** Default: the real clock. */
  now?: () => Date
  /** For `stdout`: where lines go (default `process.stdout`). Tests pass their own. */
  write?: (line: string) => void
  /** How many recent events the default trail keeps in memory for {@link AuditLog.recent}. Default 1000; 0 keeps none. */
  keep?: number
  /** Where recent events are kept for an admin console. Default: an {@link InMemoryAuditTrail} of `keep` events. */
  trail?: AuditTrail
  /**
   * Told once when the audit file cannot be written (the event is still kept in the trail), and once
   * per outage when a shared trail cannot keep an event (the line is still written).
   */
  onWriteError?: (error: unknown) => void
}

/**
 * Reads `AUDIT_LOG`: unset or empty → `stdout`; `stdout`; `off`; anything else is a file path.
 * @throws {TypeError} naming the variable for a value that cannot be a path (a newline, a NUL).
 */
export function parseAuditDestination(raw: string | undefined, name = 'AUDIT_LOG'): AuditDestination {
  const value = raw?.trim() ?? ''
  if (value === '' || value === 'stdout') return { kind: 'stdout' }
  if (value === 'off') return { kind: 'off' }
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\x00-\x1f]/.test(value)) throw new TypeError(`${name} must be stdout, off or a file path`)
  return { kind: 'file', path: value }
}

/**
 * The audit trail of one role: security decisions as JSON lines for a SIEM, separate from the
 * human log. One call per decision (`audit.record({ event, decision, jti, … })`); the log adds
 * `time` and `role`, removes credentials, writes the line and keeps the event for an admin view.
 * A failure to write the file never fails the request that is being audited.
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const now = options.now ?? (() => new Date())
  const trail = options.trail ?? new InMemoryAuditTrail(options.keep)
  const destination = options.destination
  let trailFailing = false
  let fileReady = false
  let reportedFailure = false
  const writeLine = (line: string): void => {
    switch (destination.kind) {
      case 'off':
        return
      case 'stdout':
        ;(options.write ?? writeStdoutLine)(line)
        return
      case 'file':
        try {
          if (!fileReady) {
            mkdirSync(dirname(destination.path), { recursive: true })
            fileReady = true
          }
          appendFileSync(destination.path, line + '\n', { mode: 0o600 })
        } catch (error) {
          if (!reportedFailure) options.onWriteError?.(error)
          reportedFailure = true
        }
    }
  }
  return {
    record(input) {
      // time, role, event and decision first, so that a line reads from its start.
      const { event: name, decision, ...fields } = sanitise(input)
      const ordered: AuditEvent = { time: now().toISOString(), role: options.role, event: name, decision, ...fields }
      if (destination.kind !== 'off') writeLine(JSON.stringify(ordered))
      trail.append(ordered).then(
        () => {
          trailFailing = false
        },
        (error: unknown) => {
          if (!trailFailing) options.onWriteError?.(error)
          trailFailing = true
        },
      )
      return ordered
    },
    recent: () => trail.recent(),
  }
}

/** Field names whose values are credentials (as the logger's), and anything shaped like a JWT or JWE. */
const SECRET_FIELD = /(^|_)(token|secret|assertion|password|verifier)$|^(authorization|cookie|set-cookie|code)$/i
const JWT_SHAPED = /eyJ[\w-]*\.[\w-]*\.[\w-]*(?:\.[\w-]*\.[\w-]*)?/g

function sanitise(input: AuditEventInput): AuditEventInput {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    if (key === 'time' || key === 'role' || value === undefined) continue // the log's own; an absent field is left out
    out[key] = SECRET_FIELD.test(key) ? '[redacted]' : sanitiseValue(value, 0)
  }
  return { ...out, event: String(sanitiseValue(input.event, 0)), decision: input.decision }
}

function sanitiseValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.replace(JWT_SHAPED, '[redacted JWT]')
  if (value === null || typeof value !== 'object') return value
  if (depth > 4) return '[nested too deep]'
  if (Array.isArray(value)) return value.map((item) => sanitiseValue(item, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value))
    out[key] = SECRET_FIELD.test(key) ? '[redacted]' : sanitiseValue(inner, depth + 1)
  return out
}
