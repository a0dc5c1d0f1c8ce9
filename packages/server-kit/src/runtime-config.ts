/**
 * What every role reads the same way about where its state lives and how it stops (decision 0040).
 * Called by each role's config.ts with the environment it was given.
 */
export interface RuntimeConfig {
  /**
   * Env `REDIS_URL` (`redis://…` or `rediss://…`): the state N instances share lives in Redis. Absent →
   * in the process (`npm start`). Holds a password at times: never logged, never echoed in an error.
   */
  redisUrl: string | undefined
  /** Env `REDIS_KEY_PREFIX`: the start of every key this deployment writes. Default `ema:<role>:<issuer or URL>`. */
  redisKeyPrefix: string
  /** Env `REDIS_COMMAND_TIMEOUT_MS`: most milliseconds one Redis operation may take before the request gets 503. Default 1000. */
  redisCommandTimeoutMs: number
  /** Env `SHUTDOWN_TIMEOUT_MS`: on SIGTERM, most milliseconds requests in flight get to finish. Default 10000. */
  shutdownTimeoutMs: number
}

/** Reads {@link RuntimeConfig}; throws a TypeError naming the variable (never its value) when one is malformed. */
export function loadRuntimeConfig(env: Record<string, string | undefined>, defaultKeyPrefix: string): RuntimeConfig {
  const redisUrl = env.REDIS_URL === undefined || env.REDIS_URL === '' ? undefined : env.REDIS_URL
  if (redisUrl !== undefined && !/^rediss?:\/\/./.test(redisUrl))
    throw new TypeError('REDIS_URL must be a redis:// or rediss:// URL')
  const prefix =
    env.REDIS_KEY_PREFIX === undefined || env.REDIS_KEY_PREFIX === '' ? defaultKeyPrefix : env.REDIS_KEY_PREFIX
  if (prefix.length > 200 || /\s/.test(prefix))
    throw new TypeError('REDIS_KEY_PREFIX must be at most 200 characters, without spaces')
  return {
    redisUrl,
    redisKeyPrefix: prefix,
    redisCommandTimeoutMs: integer(env, 'REDIS_COMMAND_TIMEOUT_MS', 1000, 10, 60_000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 300_000),
  }
}

function integer(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max)
    throw new TypeError(`${name} must be an integer from ${min} to ${max}`)
  return value
}
