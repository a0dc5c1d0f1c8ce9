import {
  type DemoResetConfig,
  loadRuntimeConfig,
  loadShutdownTimeoutMs,
  type LogLevel,
  parseLogLevel,
  readDemoReset,
  type RuntimeConfig,
} from '@ema/server-kit'
import { z } from 'zod'

/**
 * Everything a fork of the Tasks API changes: who it is (its identifier, the `aud` its tokens carry),
 * which authorization server it trusts, and which actors may call it on a user's behalf.
 * Defaults follow docs/demo-world.md, so that `npm start` works with no setup.
 */
export interface TasksApiConfig {
  /** OBO-18: our identifier, exactly the `aud` of the tokens we accept, e.g. `http://localhost:4004` (TASKS_API_URL). */
  identifier: string
  /** The port to listen on: TASKS_API_PORT, else the port of `identifier`. */
  port: number
  /** The authorization server whose on-behalf-of tokens we accept (AS_ISSUER, AS_JWKS_URI). */
  authorizationServer: { issuer: string; jwksUri: string }
  /** OBO-13: the `sub` values the current actor (outermost `act.sub`) may have (TASKS_API_ALLOWED_ACTORS). */
  allowedActors: readonly string[]
  /** The scopes this API defines, advertised in its metadata and named in 401 challenges. */
  scopesSupported: readonly string[]
  /** Plain-http URLs are refused unless this is true (ALLOW_INSECURE_HTTP=true). Local demos only. */
  allowInsecureHttp: boolean
  /** LOG_LEVEL: `debug`, `info` (default), `warn` or `error`. */
  logLevel: LogLevel
  /** SHUTDOWN_TIMEOUT_MS: on SIGTERM, most milliseconds requests in flight get to finish. Default 10000. */
  shutdownTimeoutMs: number
  /** DEMO_RESET=true with DEMO_RESET_SECRET: `POST /demo/reset` empties every list (demo only). Undefined when off. */
  demoReset: DemoResetConfig | undefined
  /** REDIS_URL and the rest (decisions 0040, 0090): with Redis, the tasks are shared by every instance and kept across restarts. */
  runtime: RuntimeConfig
}

/** The scope each route needs (contract: GET /tasks and GET /whoami read, POST /tasks writes). */
export const TASKS_API_SCOPES = { READ: 'tasks.read', WRITE: 'tasks.write' } as const

const Env = z.object({
  TASKS_API_URL: z.string().min(1).default('http://localhost:4004'),
  TASKS_API_PORT: z.string().regex(/^\d+$/, 'TASKS_API_PORT must be a port number').optional(),
  AS_ISSUER: z.string().min(1).default('http://localhost:4002'),
  AS_JWKS_URI: z.string().min(1).optional(),
  /** Comma-separated client ids. */
  TASKS_API_ALLOWED_ACTORS: z.string().default('tasks-mcp-server'),
  ALLOW_INSECURE_HTTP: z.string().optional(),
})

/** Builds the typed configuration from environment variables (only `main.ts` passes `process.env`). */
export function loadConfig(env: Record<string, string | undefined> = {}): TasksApiConfig {
  const parsed = Env.safeParse(env)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new TypeError(`invalid configuration: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim())
  }
  const e = parsed.data
  const allowInsecureHttp = e.ALLOW_INSECURE_HTTP === 'true'
  const identifier = canonicalIdentifier(e.TASKS_API_URL, allowInsecureHttp)
  parseUrl('AS_ISSUER', e.AS_ISSUER, allowInsecureHttp)
  const jwksUri = parseUrl('AS_JWKS_URI', e.AS_JWKS_URI ?? `${e.AS_ISSUER.replace(/\/$/, '')}/jwks`, allowInsecureHttp)
  const allowedActors = e.TASKS_API_ALLOWED_ACTORS.split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '')
  if (allowedActors.length === 0)
    throw new TypeError('TASKS_API_ALLOWED_ACTORS names no actor: no token could ever be accepted')
  return {
    identifier: identifier.pathname === '/' ? identifier.origin : identifier.href,
    port: e.TASKS_API_PORT !== undefined ? Number(e.TASKS_API_PORT) : defaultPort(identifier),
    // Issuers are compared exactly, so AS_ISSUER is kept as written, not re-serialised.
    authorizationServer: { issuer: e.AS_ISSUER, jwksUri: jwksUri.href },
    allowedActors,
    scopesSupported: [TASKS_API_SCOPES.READ, TASKS_API_SCOPES.WRITE],
    allowInsecureHttp,
    logLevel: parseLogLevel(env.LOG_LEVEL),
    shutdownTimeoutMs: loadShutdownTimeoutMs(env),
    demoReset: readDemoReset(env),
    runtime: loadRuntimeConfig(
      env,
      `ema:tasks-api:${identifier.pathname === '/' ? identifier.origin : identifier.href}`,
    ),
  }
}

/** Lowercase scheme and host, no fragment, no query, no trailing slash (the identifier is compared exactly with `aud`). */
function canonicalIdentifier(value: string, allowInsecureHttp: boolean): URL {
  const url = parseUrl('TASKS_API_URL', value, allowInsecureHttp)
  if (url.hash !== '' || value.includes('#'))
    throw new TypeError('TASKS_API_URL must not have a fragment (RFC 8707 §2)')
  if (url.search !== '') throw new TypeError('TASKS_API_URL must not have a query')
  if (url.pathname.length > 1 && url.pathname.endsWith('/')) url.pathname = url.pathname.replace(/\/+$/, '')
  return url
}

function parseUrl(name: string, value: string, allowInsecureHttp: boolean): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new TypeError(`${name} is not a URL: ${value}`)
  }
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:' && allowInsecureHttp) return url
  throw new TypeError(`${name} (${value}) must be https; plain http needs ALLOW_INSECURE_HTTP=true (local demos only)`)
}

function defaultPort(url: URL): number {
  if (url.port !== '') return Number(url.port)
  return url.protocol === 'https:' ? 443 : 80
}
