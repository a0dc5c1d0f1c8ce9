import {
  type DemoResetConfig,
  type Env,
  firstIssue,
  loadRuntimeConfig,
  type LogLevel,
  parseLogLevel,
  readDemoReset,
  readPort,
  readUrl,
  type RuntimeConfig,
  wholeNumber,
} from '@ema/server-kit'
import { z } from 'zod'

/**
 * Configuration of the Tasks API. Everything a fork changes: who it is (its identifier, the `aud`
 * its tokens carry), which authorization server it trusts, and which actors may call it on a user's
 * behalf. Each field names its variable, its default and why; the defaults are the demo world
 * (docs/demo-world.md), so `npm start` works with no set-up. Only main.ts passes `process.env`.
 *
 * With {@link RuntimeConfig} (decision 0040: `SHUTDOWN_TIMEOUT_MS`, `REDIS_URL` and the rest; key prefix
 * `ema:tasks-api:<identifier>`): with Redis, the tasks are shared by every instance and kept across restarts (decision 0090).
 */
export interface TasksApiConfig extends RuntimeConfig {
  /**
   * OBO-18: our identifier, exactly the `aud` of the tokens we accept. Env `TASKS_API_URL`, default
   * `http://localhost:4004`; kept without query, fragment or trailing slash, as it is compared exactly.
   */
  identifier: string
  /** Env `TASKS_API_PORT`, default the port of `identifier` (behind a proxy they differ). */
  port: number
  /**
   * The authorization server whose on-behalf-of tokens we accept. Env `AS_ISSUER`, default
   * `http://localhost:4002` (kept as written: issuers are compared exactly); `AS_JWKS_URI`, default
   * `<AS_ISSUER>/jwks`.
   */
  authorizationServer: { issuer: string; jwksUri: string }
  /**
   * OBO-13: the `sub` values the current actor (outermost `act.sub`) may have. Env
   * `TASKS_API_ALLOWED_ACTORS` (comma-separated), default `tasks-mcp-server`, the only demo caller.
   */
  allowedActors: readonly string[]
  /** The scopes this API defines, advertised in its metadata and named in 401 challenges. Fixed: the routes need them. */
  scopesSupported: readonly string[]
  /** Env `ALLOW_INSECURE_HTTP=true`: plain http to loopback hosts (decision 0024). Default off: https only. */
  allowInsecureHttp: boolean
  /** Env `LOG_LEVEL`: `debug`, `info` (default), `warn` or `error`. */
  logLevel: LogLevel
  /** Env `DEMO_RESET=true` with `DEMO_RESET_SECRET`: `POST /demo/reset` empties every list (demo only). Default off. */
  demoReset: DemoResetConfig | undefined
  /**
   * Decision 0100: how many verified access tokens are remembered, so that the next request with the
   * same token skips the signature check (while the AS's key set still holds the key that verified it).
   * Env `ACCESS_TOKEN_CACHE_ENTRIES`, default 10000 (about 1 kB each), at most 1000000; 0 verifies every request in full.
   */
  accessTokenCacheEntries: number
}

/** The scope each route needs (contract: GET /tasks and GET /whoami read, POST /tasks writes). */
export const TASKS_API_SCOPES = { READ: 'tasks.read', WRITE: 'tasks.write' } as const

const Settings = z.object({
  TASKS_API_ALLOWED_ACTORS: z
    .string()
    .default('tasks-mcp-server')
    .transform((list) => list.split(',').flatMap((actor) => (actor.trim() === '' ? [] : [actor.trim()])))
    .refine((actors) => actors.length > 0, 'names no actor: no token could ever be accepted'),
  ACCESS_TOKEN_CACHE_ENTRIES: wholeNumber(10_000, { max: 1_000_000 }),
})

/** Reads and checks the configuration. @throws {TypeError} one line naming the variable at fault. */
export function loadConfig(env: Env = {}): TasksApiConfig {
  const parsed = Settings.safeParse(env)
  if (!parsed.success) throw new TypeError(firstIssue(parsed.error))
  const allowInsecureHttp = env.ALLOW_INSECURE_HTTP === 'true'
  const identifier = canonicalIdentifier(readUrl(env, 'TASKS_API_URL', 'http://localhost:4004', { allowInsecureHttp }))
  const issuer = readUrl(env, 'AS_ISSUER', 'http://localhost:4002', { allowInsecureHttp })
  return {
    identifier,
    port: readPort(env, 'TASKS_API_PORT', identifier),
    authorizationServer: {
      issuer,
      jwksUri: new URL(readUrl(env, 'AS_JWKS_URI', `${issuer.replace(/\/$/, '')}/jwks`, { allowInsecureHttp })).href,
    },
    allowedActors: parsed.data.TASKS_API_ALLOWED_ACTORS,
    scopesSupported: [TASKS_API_SCOPES.READ, TASKS_API_SCOPES.WRITE],
    allowInsecureHttp,
    logLevel: parseLogLevel(env.LOG_LEVEL),
    ...loadRuntimeConfig(env, `ema:tasks-api:${identifier}`), // decision 0040
    demoReset: readDemoReset(env),
    accessTokenCacheEntries: parsed.data.ACCESS_TOKEN_CACHE_ENTRIES,
  }
}

/** Lowercase scheme and host, no query, no trailing slash (the identifier is compared exactly with `aud`). */
function canonicalIdentifier(value: string): string {
  const url = new URL(value)
  if (url.search !== '') throw new TypeError('TASKS_API_URL must not have a query')
  if (url.pathname.length > 1 && url.pathname.endsWith('/')) url.pathname = url.pathname.replace(/\/+$/, '')
  return url.pathname === '/' ? url.origin : url.href
}
