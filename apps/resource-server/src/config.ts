import {
  type AuditDestination,
  type Env,
  firstIssue,
  loadRuntimeConfig,
  type LogLevel,
  parseAuditDestination,
  parseLogLevel,
  readPort,
  readUrl,
  type ReadUrlOptions,
  type RuntimeConfig,
  wholeNumber,
} from '@ema/server-kit'
import type { TokenExchangeConfig } from '@ema/token-exchange'
import { z } from 'zod'
import { allowedHostsFor, canonicalHost } from './require-allowed-host.ts'
import type { TokenIntrospectionConfig } from './token-introspection.ts'

/**
 * Configuration of the MCP server "Tasks". Everything a fork changes: who we are (the resource
 * identifier), which authorization server we trust, which scopes we speak, which tool needs which
 * scope, and how we reach the Tasks API on the user's behalf. Each field names its variable, its
 * default and why; the defaults are the demo world (docs/demo-world.md), so `npm start` works with no
 * set-up. Only main.ts passes `process.env`.
 *
 * With {@link RuntimeConfig} (decision 0040: `SHUTDOWN_TIMEOUT_MS`, `REDIS_URL` and the rest; key prefix
 * `ema:resource-server:<resource>`): with Redis, MCP sessions are shared by every instance (decision 0090).
 */
export interface ResourceServerConfig extends RuntimeConfig {
  /**
   * RS-02, RS-16: our canonical resource identifier. Env `RS_RESOURCE`, default
   * `http://localhost:4003/mcp`; lowercase scheme and host, no query, fragment or trailing slash.
   */
  resource: string
  /** Env `RS_PORT`, default the port of `resource` (behind a proxy they differ). */
  port: number
  /** The path of the MCP endpoint, taken from `resource`, e.g. `/mcp`. */
  mcpPath: string
  /**
   * RS-01, RS-10: the MCP authorization server whose access tokens we accept. Env `AS_ISSUER`,
   * default `http://localhost:4002` (kept as written: issuers are compared exactly); `AS_JWKS_URI`,
   * default `<AS_ISSUER>/jwks`.
   */
  authorizationServer: { issuer: string; jwksUri: string }
  /** RS-04, RS-14: the scopes we advertise and name in challenges (never `offline_access`). Fixed: the tools define them. */
  scopesSupported: readonly string[]
  /** RS-04: a human-readable name for the protected resource metadata. */
  resourceName: string
  /** RS-07: the scope each tool needs; `null` means "any valid token". */
  toolScopes: Readonly<Record<string, string | null>>
  /**
   * DNS-rebinding protection: the `Origin` values allowed on the MCP endpoint (requests without
   * `Origin` pass). Env `RS_ALLOWED_ORIGINS` (comma-separated) replaces the default: the origin of
   * `CLIENT_URL` (default `http://localhost:3000`) and `http://localhost:3000`.
   */
  allowedOrigins: readonly string[]
  /**
   * DNS-rebinding protection (decision 0011): the `Host` values allowed on the MCP endpoint: the
   * resource's own `host[:port]` (and its loopback aliases when it is on loopback) plus env
   * `RS_ALLOWED_HOSTS` (comma-separated `host[:port]`, e.g. a proxy's public name).
   */
  allowedHosts: readonly string[]
  /** Env `ALLOW_INSECURE_HTTP=true`: plain http to loopback hosts (decision 0024). Default off: https only. */
  allowInsecureHttp: boolean
  /** Env `LOG_LEVEL`: `debug`, `info` (default), `warn` or `error`. */
  logLevel: LogLevel
  /** Env `AUDIT_LOG`: `stdout` (default), `off`, or a file of JSON lines (server-kit's audit events). */
  auditLog: AuditDestination
  /** OBO-01: the downstream Tasks API the tools call on the user's behalf. */
  tasksApi: {
    /**
     * Its base URL, also its identifier: the `audience` of the exchange (OBO-05). Env `TASKS_API_URL`,
     * default `http://localhost:4004`, without query, fragment or trailing slash.
     */
    url: string
    /** OBO-06: the scope each tool asks the authorization server for, down-scoped to what the call needs. */
    toolScopes: Readonly<Record<string, string>>
  }
  /**
   * OBO-03 … OBO-07, OBO-21: how this server exchanges the inbound token for a Tasks API token ({@link readTokenExchange}).
   * Undefined when neither TOKEN_EXCHANGE_CLIENT_SECRET nor TOKEN_EXCHANGE_CLIENT_CERT_FILE is set:
   * the server starts (with a loud warning) and every tool answers with an error that says so.
   */
  tokenExchange: TokenExchangeConfig | undefined
  /** Most milliseconds for each downstream hop (the exchange, the API call). Env `DOWNSTREAM_TIMEOUT_MS`, default 10000. */
  downstreamTimeoutMs: number
  /**
   * Decision 0060: env `TOKEN_INTROSPECTION=on` (default off): after the local checks each token is
   * also introspected at the authorization server (RFC 7662), so a revoked token is refused within
   * `cacheSeconds` ({@link readTokenIntrospection}). Undefined when off.
   */
  tokenIntrospection: TokenIntrospectionConfig | undefined
  /** Env `MCP_TRACE_DOWNSTREAM=true` (default off): tool results carry the second hop in `_meta["io.ema/downstream"]` (demo only). */
  traceDownstream: boolean
  /**
   * Decision 0100: how many verified access tokens are remembered, so that the next request with the
   * same token skips the signature check (while the AS's key set still holds the key that verified it).
   * Env `ACCESS_TOKEN_CACHE_ENTRIES`, default 10000 (about 1 kB each), at most 1000000; 0 verifies every request in full.
   */
  accessTokenCacheEntries: number
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

/** Comma-separated values, blanks dropped. */
const List = z
  .string()
  .optional()
  .transform((list) => (list ?? '').split(',').flatMap((item) => (item.trim() === '' ? [] : [item.trim()])))
/** The settings that are not URLs (those are read with server-kit's `readUrl`, the one insecure-http rule). */
const Settings = z.object({
  RS_ALLOWED_ORIGINS: List,
  RS_ALLOWED_HOSTS: List,
  TOKEN_EXCHANGE_CLIENT_ID: z.string().min(1).default('tasks-mcp-server'),
  TOKEN_EXCHANGE_CLIENT_SECRET: z.string().min(1).optional(),
  TOKEN_EXCHANGE_CLIENT_CERT_FILE: z.string().min(1).optional(),
  TOKEN_EXCHANGE_CLIENT_KEY_FILE: z.string().min(1).optional(),
  TOKEN_EXCHANGE_CA_FILE: z.string().min(1).optional(),
  ACCESS_TOKEN_CACHE_ENTRIES: wholeNumber(10_000, { max: 1_000_000 }),
  /** OBO-17: how many exchanged tokens are kept for reuse; 0 exchanges on every call (the benchmark's cold row). */
  TOKEN_EXCHANGE_CACHE_ENTRIES: wholeNumber(1000),
  DOWNSTREAM_TIMEOUT_MS: wholeNumber(10_000, { min: 100, max: 120_000 }),
  MCP_TRACE_DOWNSTREAM: z.enum(['true', 'false']).optional(),
  TOKEN_INTROSPECTION: z.enum(['on', 'off']).default('off'),
  /** How long an `active` answer is reused: the revocation window with introspection on. */
  TOKEN_INTROSPECTION_CACHE_SECONDS: wholeNumber(10, { max: 300 }),
})
type Settings = z.output<typeof Settings>

/** Reads and checks the configuration. @throws {TypeError} one line naming the variable at fault. */
export function loadConfig(env: Env = {}): ResourceServerConfig {
  const parsed = Settings.safeParse(env)
  if (!parsed.success) throw new TypeError(firstIssue(parsed.error))
  const settings = parsed.data
  const urls: ReadUrlOptions = { allowInsecureHttp: env.ALLOW_INSECURE_HTTP === 'true' }
  const resource = canonicalUrl('RS_RESOURCE', readUrl(env, 'RS_RESOURCE', 'http://localhost:4003/mcp', urls))
  const issuer = readUrl(env, 'AS_ISSUER', 'http://localhost:4002', urls)
  const clientUrl = readUrl(env, 'CLIENT_URL', 'http://localhost:3000', urls)
  for (const host of settings.RS_ALLOWED_HOSTS)
    if (canonicalHost(host, 'https:') === undefined)
      throw new TypeError(`RS_ALLOWED_HOSTS: "${host}" is not a host[:port]`)
  const tasksApiUrl = canonicalUrl('TASKS_API_URL', readUrl(env, 'TASKS_API_URL', 'http://localhost:4004', urls))
  const tokenExchange = readTokenExchange(env, settings, identifierOf(tasksApiUrl), urls)
  return {
    resource: identifierOf(resource),
    port: readPort(env, 'RS_PORT', resource),
    mcpPath: resource.pathname,
    authorizationServer: {
      issuer,
      jwksUri: new URL(readUrl(env, 'AS_JWKS_URI', `${issuer.replace(/\/$/, '')}/jwks`, urls)).href,
    },
    scopesSupported: ['tasks.read', 'tasks.write'],
    resourceName: 'Tasks',
    toolScopes: TASKS_TOOL_SCOPES,
    allowedOrigins:
      env.RS_ALLOWED_ORIGINS === undefined
        ? [...new Set([new URL(clientUrl).origin, 'http://localhost:3000'])]
        : settings.RS_ALLOWED_ORIGINS,
    allowedHosts: allowedHostsFor(resource, settings.RS_ALLOWED_HOSTS),
    allowInsecureHttp: urls.allowInsecureHttp,
    logLevel: parseLogLevel(env.LOG_LEVEL),
    auditLog: parseAuditDestination(env.AUDIT_LOG),
    ...loadRuntimeConfig(env, `ema:resource-server:${resource.href}`), // decision 0040
    tasksApi: { url: identifierOf(tasksApiUrl), toolScopes: TASKS_API_TOOL_SCOPES },
    tokenExchange,
    tokenIntrospection: readTokenIntrospection(env, settings, tokenExchange, urls),
    downstreamTimeoutMs: settings.DOWNSTREAM_TIMEOUT_MS,
    traceDownstream: settings.MCP_TRACE_DOWNSTREAM === 'true',
    accessTokenCacheEntries: settings.ACCESS_TOKEN_CACHE_ENTRIES,
  }
}

/**
 * OBO-07, OBO-21: the exchange client, at env `TOKEN_EXCHANGE_URL` (default the AS's mTLS endpoint
 * alias, `https://localhost:4012/token`, RFC 8705 §5) as `TOKEN_EXCHANGE_CLIENT_ID` (default
 * `tasks-mcp-server`). A certificate (`tls_client_auth`) when TOKEN_EXCHANGE_CLIENT_CERT_FILE and
 * _KEY_FILE are set, a secret (`client_secret_basic`) when TOKEN_EXCHANGE_CLIENT_SECRET is; both is
 * a mistake; neither leaves the exchange unconfigured.
 */
function readTokenExchange(
  env: Env,
  settings: Settings,
  audience: string,
  urls: ReadUrlOptions,
): TokenExchangeConfig | undefined {
  const tokenUrl = new URL(readUrl(env, 'TOKEN_EXCHANGE_URL', 'https://localhost:4012/token', urls))
  const { TOKEN_EXCHANGE_CLIENT_CERT_FILE: certFile, TOKEN_EXCHANGE_CLIENT_KEY_FILE: keyFile } = settings
  const caFile = settings.TOKEN_EXCHANGE_CA_FILE === undefined ? {} : { caFile: settings.TOKEN_EXCHANGE_CA_FILE }
  const certificate = certFile !== undefined || keyFile !== undefined
  if (certificate && settings.TOKEN_EXCHANGE_CLIENT_SECRET !== undefined)
    throw new TypeError(
      'set either TOKEN_EXCHANGE_CLIENT_SECRET or TOKEN_EXCHANGE_CLIENT_CERT_FILE/_KEY_FILE, not both',
    )
  const common = {
    tokenUrl: tokenUrl.href,
    clientId: settings.TOKEN_EXCHANGE_CLIENT_ID,
    audience, // OBO-05: the Tasks API's identifier
    timeoutMs: settings.DOWNSTREAM_TIMEOUT_MS,
    stsName: 'the authorization server',
    maxCacheEntries: settings.TOKEN_EXCHANGE_CACHE_ENTRIES,
  }
  if (certificate) {
    if (certFile === undefined || keyFile === undefined)
      throw new TypeError('mTLS needs both TOKEN_EXCHANGE_CLIENT_CERT_FILE and TOKEN_EXCHANGE_CLIENT_KEY_FILE')
    if (tokenUrl.protocol !== 'https:')
      throw new TypeError('TOKEN_EXCHANGE_URL must be https for mTLS (the AS mTLS endpoint alias, RFC 8705 §5)')
    return { ...common, clientCertificate: { certFile, keyFile, ...caFile } }
  }
  if (settings.TOKEN_EXCHANGE_CLIENT_SECRET === undefined) return undefined
  return { ...common, clientSecret: settings.TOKEN_EXCHANGE_CLIENT_SECRET, ...caFile }
}

/**
 * Decision 0060: TOKEN_INTROSPECTION=on introspects with the token exchange's client (the same id and
 * secret or certificate), at env `TOKEN_INTROSPECTION_URL` or, by default, beside the exchange's token
 * endpoint (`…/token` → `…/introspect`, the mTLS alias when the exchange uses it), reusing an `active`
 * answer for `TOKEN_INTROSPECTION_CACHE_SECONDS` (default 10, at most 300).
 */
function readTokenIntrospection(
  env: Env,
  settings: Settings,
  tokenExchange: TokenExchangeConfig | undefined,
  urls: ReadUrlOptions,
): TokenIntrospectionConfig | undefined {
  if (settings.TOKEN_INTROSPECTION === 'off') return undefined
  if (tokenExchange === undefined)
    throw new TypeError(
      'TOKEN_INTROSPECTION=on needs client credentials at the authorization server: set TOKEN_EXCHANGE_CLIENT_SECRET or TOKEN_EXCHANGE_CLIENT_CERT_FILE/_KEY_FILE (introspection uses the token exchange client)',
    )
  const url = new URL(readUrl(env, 'TOKEN_INTROSPECTION_URL', new URL('introspect', tokenExchange.tokenUrl).href, urls))
  if (tokenExchange.clientCertificate !== undefined && url.protocol !== 'https:')
    throw new TypeError('TOKEN_INTROSPECTION_URL must be https for mTLS (the AS mTLS endpoint alias, RFC 8705 §5)')
  const { clientId, clientSecret, clientCertificate, caFile } = tokenExchange
  return {
    url: url.href,
    client: {
      clientId,
      ...(clientSecret === undefined ? {} : { clientSecret }),
      ...(clientCertificate === undefined ? {} : { clientCertificate }),
      ...(caFile === undefined ? {} : { caFile }),
    },
    cacheSeconds: settings.TOKEN_INTROSPECTION_CACHE_SECONDS,
    timeoutMs: settings.DOWNSTREAM_TIMEOUT_MS,
  }
}

/**
 * RS-16, OBO-18: an identifier compared exactly: lowercase scheme and host (URL parsing does that),
 * no query (the resource is also the endpoint's path), no trailing slash unless it is the whole path.
 */
function canonicalUrl(name: string, value: string): URL {
  const url = new URL(value)
  if (url.search !== '') throw new TypeError(`${name} must not have a query`)
  if (url.pathname.length > 1 && url.pathname.endsWith('/')) url.pathname = url.pathname.replace(/\/+$/, '')
  return url
}

/** `http://host:port/mcp`, or `http://host:port` when the identifier is the origin itself. */
function identifierOf(url: URL): string {
  return url.pathname === '/' ? url.origin : url.href
}
