import {
  type AuditDestination,
  loadRuntimeConfig,
  loadShutdownTimeoutMs,
  type LogLevel,
  parseAuditDestination,
  parseLogLevel,
  type RuntimeConfig,
} from '@ema/server-kit'
import type { TokenExchangeConfig } from '@ema/token-exchange'
import { z } from 'zod'
import { allowedHostsFor, canonicalHost } from './require-allowed-host.ts'
import type { TokenIntrospectionConfig } from './token-introspection.ts'

/**
 * Everything a fork of this MCP server changes lives here: who we are (the resource identifier),
 * which authorization server we trust, which scopes we speak, and which tool needs which scope.
 * Defaults follow docs/demo-world.md so that `npm start` works with no setup.
 */
export interface ResourceServerConfig {
  /** RS-02, RS-16: our canonical resource identifier, e.g. `http://localhost:4003/mcp` (RS_RESOURCE). */
  resource: string
  /** The port to listen on: RS_PORT, else the port of `resource`. */
  port: number
  /** The path of the MCP endpoint, taken from `resource`, e.g. `/mcp`. */
  mcpPath: string
  /** The MCP authorization server whose access tokens we accept (AS_ISSUER, RS-01, RS-10). */
  authorizationServer: { issuer: string; jwksUri: string }
  /** RS-04, RS-14: the scopes we advertise and name in challenges (never `offline_access`). */
  scopesSupported: readonly string[]
  /** RS-04: a human-readable name for the protected resource metadata. */
  resourceName: string
  /** RS-07: the scope each tool needs; `null` means "any valid token". */
  toolScopes: Readonly<Record<string, string | null>>
  /** DNS-rebinding protection: the `Origin` values allowed on the MCP endpoint. Requests without `Origin` pass. */
  allowedOrigins: readonly string[]
  /**
   * DNS-rebinding protection: the `Host` values allowed on the MCP endpoint: the resource's own
   * `host[:port]` (and its loopback aliases when it is on loopback) plus RS_ALLOWED_HOSTS.
   */
  allowedHosts: readonly string[]
  /** Plain-http URLs are refused unless this is true (ALLOW_INSECURE_HTTP=true). Local demos only. */
  allowInsecureHttp: boolean
  /** LOG_LEVEL: `debug`, `info` (default), `warn` or `error`. */
  logLevel: LogLevel
  /** Env `AUDIT_LOG`: `stdout` (default), `off`, or a file of JSON lines (server-kit's audit events). */
  auditLog: AuditDestination
  /** SHUTDOWN_TIMEOUT_MS: on SIGTERM, most milliseconds requests in flight get to finish. Default 10000. */
  shutdownTimeoutMs: number
  /** The downstream Tasks API the tools call on the user's behalf (TASKS_API_URL; OBO-01). */
  tasksApi: {
    /** Its base URL, also its identifier: the `audience` of the exchange, e.g. `http://localhost:4004`. */
    url: string
    /** The scope each tool asks the authorization server for, down-scoped to what the call needs (OBO-06). */
    toolScopes: Readonly<Record<string, string>>
  }
  /**
   * OBO-03 … OBO-07, OBO-21: how this server exchanges the inbound token for a Tasks API token.
   * Undefined when neither TOKEN_EXCHANGE_CLIENT_SECRET nor TOKEN_EXCHANGE_CLIENT_CERT_FILE is set:
   * the server starts (with a loud warning) and every tool answers with an error that says so.
   */
  tokenExchange: TokenExchangeConfig | undefined
  /** Most milliseconds for each downstream hop (the exchange, the API call). DOWNSTREAM_TIMEOUT_MS, default 10000. */
  downstreamTimeoutMs: number
  /**
   * TOKEN_INTROSPECTION=on (off by default; decision 0060): after the local checks, each token is also
   * introspected at the authorization server (RFC 7662), so a revoked token is refused within
   * `cacheSeconds`. Undefined when off.
   */
  tokenIntrospection: TokenIntrospectionConfig | undefined
  /** MCP_TRACE_DOWNSTREAM=true: tool results carry the second hop in `_meta["io.ema/downstream"]` (demo only). */
  traceDownstream: boolean
  /** REDIS_URL and the rest (decisions 0040, 0090): with Redis, MCP sessions are shared by every instance. */
  runtime: RuntimeConfig
}

/** The tools of the MCP server "Tasks" and the scope each one needs (RS-07). */
export const TASKS_TOOL_SCOPES = {
  whoami: null,
  list_tasks: 'tasks.read',
  add_task: 'tasks.write',
} as const satisfies Record<string, string | null>

/**
 * OBO-06: the Tasks API scope each tool asks for in the exchange. `whoami` reads (GET /whoami), so a
 * token without `tasks.read` gets whoami's answer from the authorization server's refusal.
 */
export const TASKS_API_TOOL_SCOPES = {
  whoami: 'tasks.read',
  list_tasks: 'tasks.read',
  add_task: 'tasks.write',
} as const satisfies Record<string, string>

const Env = z.object({
  RS_RESOURCE: z.string().min(1).default('http://localhost:4003/mcp'),
  RS_PORT: z.string().regex(/^\d+$/, 'RS_PORT must be a port number').optional(),
  AS_ISSUER: z.string().min(1).default('http://localhost:4002'),
  AS_JWKS_URI: z.string().min(1).optional(),
  CLIENT_URL: z.string().min(1).default('http://localhost:3000'),
  /** Comma-separated list; replaces the default allow-list when set. */
  RS_ALLOWED_ORIGINS: z.string().optional(),
  /** Comma-separated `host[:port]` list, added to the resource's own host (e.g. a proxy's public name). */
  RS_ALLOWED_HOSTS: z.string().optional(),
  ALLOW_INSECURE_HTTP: z.string().optional(),
  TASKS_API_URL: z.string().min(1).default('http://localhost:4004'),
  /** The AS's mTLS endpoint alias (RFC 8705 §5) by default; its plain token endpoint with a secret. */
  TOKEN_EXCHANGE_URL: z.string().min(1).default('https://localhost:4012/token'),
  TOKEN_EXCHANGE_CLIENT_ID: z.string().min(1).default('tasks-mcp-server'),
  TOKEN_EXCHANGE_CLIENT_SECRET: z.string().min(1).optional(),
  TOKEN_EXCHANGE_CLIENT_CERT_FILE: z.string().min(1).optional(),
  TOKEN_EXCHANGE_CLIENT_KEY_FILE: z.string().min(1).optional(),
  TOKEN_EXCHANGE_CA_FILE: z.string().min(1).optional(),
  /** OBO-17: how many exchanged tokens are kept for reuse; 0 exchanges on every call (the benchmark's cold row). */
  TOKEN_EXCHANGE_CACHE_ENTRIES: z
    .string()
    .regex(/^\d+$/, 'TOKEN_EXCHANGE_CACHE_ENTRIES must be a whole number')
    .default('1000'),
  DOWNSTREAM_TIMEOUT_MS: z.string().regex(/^\d+$/, 'DOWNSTREAM_TIMEOUT_MS must be a number of milliseconds').optional(),
  MCP_TRACE_DOWNSTREAM: z.enum(['true', 'false']).optional(),
  /** Decision 0060: introspect every token at the AS (RFC 7662) to see revocations. */
  TOKEN_INTROSPECTION: z.enum(['on', 'off']).default('off'),
  /** Default: TOKEN_EXCHANGE_URL with its last path segment (`/token`) replaced by `/introspect`. */
  TOKEN_INTROSPECTION_URL: z.string().min(1).optional(),
  /** How long an `active` answer is reused: the revocation window with introspection on. */
  TOKEN_INTROSPECTION_CACHE_SECONDS: z
    .string()
    .regex(/^\d+$/, 'TOKEN_INTROSPECTION_CACHE_SECONDS must be a whole number of seconds')
    .default('10'),
})

/** Builds the typed configuration from environment variables (only `main.ts` passes `process.env`). */
export function loadConfig(env: Record<string, string | undefined> = {}): ResourceServerConfig {
  const parsed = Env.safeParse(env)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new TypeError(`invalid configuration: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim())
  }
  const e = parsed.data
  const allowInsecureHttp = e.ALLOW_INSECURE_HTTP === 'true'

  const resourceUrl = canonicalResource(e.RS_RESOURCE, allowInsecureHttp)
  parseUrl('AS_ISSUER', e.AS_ISSUER, allowInsecureHttp)
  const jwksUri = parseUrl('AS_JWKS_URI', e.AS_JWKS_URI ?? `${e.AS_ISSUER.replace(/\/$/, '')}/jwks`, allowInsecureHttp)
  const clientUrl = parseUrl('CLIENT_URL', e.CLIENT_URL, allowInsecureHttp)

  const allowedOrigins =
    e.RS_ALLOWED_ORIGINS === undefined
      ? [...new Set([clientUrl.origin, 'http://localhost:3000'])]
      : e.RS_ALLOWED_ORIGINS.split(',')
          .map((o) => o.trim())
          .filter((o) => o !== '')

  const extraHosts = (e.RS_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '')
  for (const host of extraHosts) {
    if (canonicalHost(host, 'https:') === undefined)
      throw new TypeError(`RS_ALLOWED_HOSTS: "${host}" is not a host[:port]`)
  }
  const allowedHosts = allowedHostsFor(resourceUrl, extraHosts)

  const port = e.RS_PORT !== undefined ? Number(e.RS_PORT) : defaultPort(resourceUrl)
  const tasksApiUrl = canonicalTasksApiUrl(e.TASKS_API_URL, allowInsecureHttp)
  const downstreamTimeoutMs = e.DOWNSTREAM_TIMEOUT_MS === undefined ? 10_000 : Number(e.DOWNSTREAM_TIMEOUT_MS)
  if (downstreamTimeoutMs < 100 || downstreamTimeoutMs > 120_000)
    throw new TypeError('DOWNSTREAM_TIMEOUT_MS must be from 100 to 120000')
  const tokenExchange = tokenExchangeConfig(e, tasksApiUrl, downstreamTimeoutMs, allowInsecureHttp)
  return {
    resource: resourceHref(resourceUrl),
    port,
    mcpPath: resourceUrl.pathname === '' ? '/' : resourceUrl.pathname,
    // Issuers are compared exactly (RS-10), so AS_ISSUER is kept as written, not re-serialised.
    authorizationServer: { issuer: e.AS_ISSUER, jwksUri: jwksUri.href },
    scopesSupported: ['tasks.read', 'tasks.write'],
    resourceName: 'Tasks',
    toolScopes: TASKS_TOOL_SCOPES,
    allowedOrigins,
    allowedHosts,
    allowInsecureHttp,
    logLevel: parseLogLevel(env.LOG_LEVEL),
    auditLog: parseAuditDestination(env.AUDIT_LOG),
    shutdownTimeoutMs: loadShutdownTimeoutMs(env),
    tasksApi: { url: tasksApiUrl, toolScopes: TASKS_API_TOOL_SCOPES },
    tokenExchange,
    tokenIntrospection: tokenIntrospectionConfig(e, tokenExchange, downstreamTimeoutMs, allowInsecureHttp),
    downstreamTimeoutMs,
    traceDownstream: e.MCP_TRACE_DOWNSTREAM === 'true',
    runtime: loadRuntimeConfig(env, `ema:resource-server:${resourceHref(resourceUrl)}`),
  }
}

/**
 * OBO-07, OBO-21: the exchange client. A certificate (mTLS, `tls_client_auth`) when
 * TOKEN_EXCHANGE_CLIENT_CERT_FILE is set, a secret (`client_secret_basic`) when
 * TOKEN_EXCHANGE_CLIENT_SECRET is; both is a mistake; neither leaves the exchange unconfigured.
 */
function tokenExchangeConfig(
  e: z.infer<typeof Env>,
  audience: string,
  timeoutMs: number,
  allowInsecureHttp: boolean,
): TokenExchangeConfig | undefined {
  const tokenUrl = parseUrl('TOKEN_EXCHANGE_URL', e.TOKEN_EXCHANGE_URL, allowInsecureHttp)
  const certificate = e.TOKEN_EXCHANGE_CLIENT_CERT_FILE !== undefined || e.TOKEN_EXCHANGE_CLIENT_KEY_FILE !== undefined
  if (certificate && e.TOKEN_EXCHANGE_CLIENT_SECRET !== undefined) {
    throw new TypeError(
      'set either TOKEN_EXCHANGE_CLIENT_SECRET or TOKEN_EXCHANGE_CLIENT_CERT_FILE/_KEY_FILE, not both',
    )
  }
  const common = {
    tokenUrl: tokenUrl.href,
    clientId: e.TOKEN_EXCHANGE_CLIENT_ID,
    audience, //                                      OBO-05: the Tasks API's identifier
    timeoutMs,
    stsName: 'the authorization server',
    maxCacheEntries: Number(e.TOKEN_EXCHANGE_CACHE_ENTRIES),
  }
  if (certificate) {
    if (e.TOKEN_EXCHANGE_CLIENT_CERT_FILE === undefined || e.TOKEN_EXCHANGE_CLIENT_KEY_FILE === undefined) {
      throw new TypeError('mTLS needs both TOKEN_EXCHANGE_CLIENT_CERT_FILE and TOKEN_EXCHANGE_CLIENT_KEY_FILE')
    }
    if (tokenUrl.protocol !== 'https:')
      throw new TypeError('TOKEN_EXCHANGE_URL must be https for mTLS (the AS mTLS endpoint alias, RFC 8705 §5)')
    return {
      ...common,
      clientCertificate: {
        certFile: e.TOKEN_EXCHANGE_CLIENT_CERT_FILE,
        keyFile: e.TOKEN_EXCHANGE_CLIENT_KEY_FILE,
        ...(e.TOKEN_EXCHANGE_CA_FILE === undefined ? {} : { caFile: e.TOKEN_EXCHANGE_CA_FILE }),
      },
    }
  }
  if (e.TOKEN_EXCHANGE_CLIENT_SECRET === undefined) return undefined
  return {
    ...common,
    clientSecret: e.TOKEN_EXCHANGE_CLIENT_SECRET,
    ...(e.TOKEN_EXCHANGE_CA_FILE === undefined ? {} : { caFile: e.TOKEN_EXCHANGE_CA_FILE }),
  }
}

/**
 * Decision 0060: TOKEN_INTROSPECTION=on introspects with the token exchange's client (the same id and
 * secret or certificate), at TOKEN_INTROSPECTION_URL or, by default, beside the exchange's token
 * endpoint (`…/token` → `…/introspect`, the mTLS alias when the exchange uses it).
 */
function tokenIntrospectionConfig(
  e: z.infer<typeof Env>,
  tokenExchange: TokenExchangeConfig | undefined,
  timeoutMs: number,
  allowInsecureHttp: boolean,
): TokenIntrospectionConfig | undefined {
  if (e.TOKEN_INTROSPECTION === 'off') return undefined
  if (tokenExchange === undefined)
    throw new TypeError(
      'TOKEN_INTROSPECTION=on needs client credentials at the authorization server: set TOKEN_EXCHANGE_CLIENT_SECRET or TOKEN_EXCHANGE_CLIENT_CERT_FILE/_KEY_FILE (introspection uses the token exchange client)',
    )
  const cacheSeconds = Number(e.TOKEN_INTROSPECTION_CACHE_SECONDS)
  if (cacheSeconds > 300) throw new TypeError('TOKEN_INTROSPECTION_CACHE_SECONDS must be from 0 to 300')
  const url =
    e.TOKEN_INTROSPECTION_URL === undefined
      ? new URL('introspect', tokenExchange.tokenUrl)
      : parseUrl('TOKEN_INTROSPECTION_URL', e.TOKEN_INTROSPECTION_URL, allowInsecureHttp)
  if (tokenExchange.clientCertificate !== undefined && url.protocol !== 'https:')
    throw new TypeError('TOKEN_INTROSPECTION_URL must be https for mTLS (the AS mTLS endpoint alias, RFC 8705 §5)')
  return {
    url: url.href,
    client: {
      clientId: tokenExchange.clientId,
      ...(tokenExchange.clientSecret === undefined ? {} : { clientSecret: tokenExchange.clientSecret }),
      ...(tokenExchange.clientCertificate === undefined ? {} : { clientCertificate: tokenExchange.clientCertificate }),
      ...(tokenExchange.caFile === undefined ? {} : { caFile: tokenExchange.caFile }),
    },
    cacheSeconds,
    timeoutMs,
  }
}

/** The Tasks API's base URL as its identifier: no fragment, no query, no trailing slash. */
function canonicalTasksApiUrl(value: string, allowInsecureHttp: boolean): string {
  const url = parseUrl('TASKS_API_URL', value, allowInsecureHttp)
  if (url.hash !== '' || value.includes('#') || url.search !== '')
    throw new TypeError('TASKS_API_URL must have no query and no fragment')
  return url.pathname === '/' ? url.origin : url.href.replace(/\/+$/, '')
}

/**
 * RS-16: lowercase scheme and host (URL parsing does that, so an uppercase RS_RESOURCE is accepted),
 * no fragment, no query, and no trailing slash unless it is the whole path.
 */
function canonicalResource(value: string, allowInsecureHttp: boolean): URL {
  const url = parseUrl('RS_RESOURCE', value, allowInsecureHttp)
  if (url.hash !== '' || value.includes('#')) throw new TypeError('RS_RESOURCE must not have a fragment (RFC 8707 §2)')
  if (url.search !== '') throw new TypeError('RS_RESOURCE must not have a query: it is also the MCP endpoint path')
  if (url.pathname.length > 1 && url.pathname.endsWith('/')) url.pathname = url.pathname.replace(/\/+$/, '')
  return url
}

/** `http://host:port/mcp`, or `http://host:port` when the resource is the origin itself. */
function resourceHref(url: URL): string {
  return url.pathname === '/' ? url.origin : url.href
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
