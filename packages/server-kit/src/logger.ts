import { writeStdoutLine } from './write-stdout-line.ts'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFields = Record<string, unknown>

export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  child(fields: LogFields): Logger
}

export interface LoggerOptions {
  /** The role, e.g. "idp". */
  name: string
  level?: LogLevel
  /** Where lines go. Default: stdout. Tests pass their own to capture lines. */
  write?: (line: string) => void
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** Reads a log level from configuration (e.g. `LOG_LEVEL`); unset means `info`. Throws naming `name` otherwise. */
export function parseLogLevel(raw: string | undefined, name = 'LOG_LEVEL'): LogLevel {
  if (raw === undefined || raw === '') return 'info'
  if (!Object.hasOwn(ORDER, raw))
    throw new TypeError(`${name} must be one of ${Object.keys(ORDER).join(', ')}, got "${raw.slice(0, 32)}"`)
  return raw as LogLevel
}

/** Field names whose values are credentials; they are replaced before a line is written. */
const SECRET_FIELD = /(^|_)(token|secret|assertion|password|verifier)$|^(authorization|cookie|set-cookie|code)$/i

/**
 * A one-line-per-event logger. Fields whose names look like credentials are redacted, because
 * a whole token, secret or assertion must never reach a log. Log `jti`, `kid`, `iss`, `sub` instead.
 */
export function createLogger(options: LoggerOptions, bound: LogFields = {}): Logger {
  const min = ORDER[options.level ?? 'info']
  const write = options.write ?? writeStdoutLine
  const emit = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (ORDER[level] < min) return
    const safe = redactFields({ ...bound, ...fields })
    const extra = Object.keys(safe).length === 0 ? '' : ' ' + JSON.stringify(safe)
    write(
      `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${options.name}] ${escapeControl(message)}${extra}`,
    )
  }
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  }
}

/** One event, one line: control characters (CR, LF …) in a message cannot forge further lines. */
function escapeControl(message: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return message.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

function redactFields(fields: LogFields): LogFields {
  const out: LogFields = {}
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_FIELD.test(key) && typeof value === 'string') out[key] = `[redacted ${value.length} chars]`
    else if (value instanceof Error) out[key] = describeError(value)
    else out[key] = value
  }
  return out
}

function describeError(error: Error): string {
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.name}: ${error.cause.message})` : ''
  return `${error.name}: ${error.message}${cause}`
}
