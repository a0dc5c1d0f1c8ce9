import { parseLogLevel } from '@ema/server-kit'
import { z } from 'zod'
import type { JWK } from 'jose'
import type { LogLevel } from '@ema/server-kit'
import { parsePublicJwks } from '@ema/tokens'

/**
 * Configuration of the MCP authorization server.
 *
 * Everything a starter fork must change lives in this file: the issuer, the trusted IdPs, the
 * registered clients, the MCP servers and their scopes, lifetimes and the signing key. Every value
 * has a documented default (the demo world, docs/demo-world.md) and can be overridden by an
 * environment variable. `loadConfig` is a pure function of the given env; only main.ts passes
 * `process.env`.
 */

/**
 * A trusted IdP (AS-16): the ID-JAG `iss` it uses, where its signing keys are published, how its
 * users become ours (AS-19) and which client relationships it may vouch for (AS-16).
 */
export interface TrustedIdp {
  /** Compared exactly with the ID-JAG `iss`. */
  issuer: string
  /** Its JWKS, fetched over https (plain http only to loopback with allowInsecureHttp; AS-15). */
  jwks_uri: string
  /**
   * AS-19, AS-40: a short alias, unique among the trusted IdPs and without `|`, that scopes this
   * IdP's subjects: the access token `sub` is `<subject_namespace>|<ID-JAG sub>`, so the same `sub`
   * from two IdPs never names the same user here.
   */
  subject_namespace: string
  /**
   * AS-16: the clients registered here (their `client_id` at this server) that this IdP may issue
   * ID-JAGs for. An ID-JAG from this IdP naming any other client is refused.
   */
  client_ids: string[]
}

/** A client registered at this authorization server (its id here, not at the IdP: IDP-21). */
export interface RegisteredClient {
  client_id: string
  client_secret?: string
  /** AS-08, AS-10: how the client authenticates at the token endpoint. */
  token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'
  /** Public keys for private_key_jwt. */
  jwks?: { keys: JWK[] }
  jwks_uri?: string
}

/** An MCP server this authorization server issues access tokens for (AS-24, AS-26). */
export interface McpServer {
  /** The MCP server's resource identifier (RFC 8707), the access token's `aud` (AS-37). */
  resource: string
  /** Every scope the MCP server knows. An ID-JAG granting anything else is refused (AS-26). */
  scopes: string[]
}

export interface AuthorizationServerConfig {
  /** This server's issuer identifier; ID-JAGs must carry it as `aud` (AS-01, AS-17). */
  issuer: string
  /** Port to listen on; taken from the issuer URL unless AS_PORT is set. */
  port: number
  /** Permit plain-http URLs (local demos only; logged loudly). */
  allowInsecureHttp: boolean
  trustedIdps: TrustedIdp[]
  clients: RegisteredClient[]
  mcpServers: McpServer[]
  /** Access token lifetime (AS-39). */
  accessTokenLifetimeSeconds: number
  /** Allowed clock skew when checking ID-JAG times (AS-20, AS-21, AS-22). */
  clockSkewSeconds: number
  /** Longest accepted ID-JAG lifetime, `exp − iat` (AS-21). */
  maxIdJagLifetimeSeconds: number
  /** SEC-07: token requests per client (or per address) per minute; over it → 429. `0` = no limit. */
  tokenRateLimitPerMinute: number
  /** The private JWK that signs access tokens; absent → main.ts generates one (loud warning). */
  signingKey?: JWK
  logLevel: LogLevel
}

/** The demo-world defaults (docs/demo-world.md). */
export const DEFAULTS = {
  IDP_ISSUER: 'http://localhost:4001',
  IDP_SUBJECT_NAMESPACE: 'acme',
  AS_ISSUER: 'http://localhost:4002',
  RS_RESOURCE: 'http://localhost:4003/mcp',
  RS_SCOPES: ['tasks.read', 'tasks.write'],
  CLIENT_ID: 'acme-agent-tasks',
  CLIENT_SECRET: 'acme-agent-as-secret',
  /** The "Acme Agent CLI", registered by default only when AGENT_CLI_JWKS gives its public keys. */
  AGENT_CLI_CLIENT_ID: 'acme-agent-cli-tasks',
  ACCESS_TOKEN_LIFETIME_SECONDS: 600,
  CLOCK_SKEW_SECONDS: 30,
  MAX_ID_JAG_LIFETIME_SECONDS: 600,
  TOKEN_RATE_LIMIT_PER_MINUTE: 600,
} as const

const Url = z.string().url()
/** AS-19: `|` separates the namespace from the IdP's `sub`, so it may not occur in the namespace. */
const SubjectNamespace = z.string().min(1).max(100).regex(/^[^|\s]+$/, 'subject_namespace must not contain "|" or whitespace')
const TrustedIdps = z.array(
  z.object({
    issuer: Url,
    jwks_uri: Url,
    subject_namespace: SubjectNamespace.optional(),
    client_ids: z.array(z.string().min(1), { error: 'client_ids is required: the clients registered here that this IdP may vouch for (AS-16)' })
      .min(1, 'client_ids must name at least one registered client (AS-16)'),
  }).strict(),
).min(1)
const Jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) })
const Clients = z.array(
  z.object({
    client_id: z.string().min(1),
    client_secret: z.string().min(1).optional(),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt']),
    jwks: Jwks.optional(),
    jwks_uri: Url.optional(),
  }).strict().refine(
    (c) => c.token_endpoint_auth_method === 'private_key_jwt' ? c.jwks !== undefined || c.jwks_uri !== undefined : c.client_secret !== undefined,
    { message: 'client_secret_* clients need client_secret; private_key_jwt clients need jwks or jwks_uri' },
  ),
).min(1)
const McpServers = z.array(z.object({ resource: Url, scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/)).min(1) }).strict()).min(1)
const PositiveInt = z.coerce.number().int().positive()
const PrivateJwk = z.record(z.string(), z.unknown()).refine((jwk) => typeof jwk.d === 'string', { message: 'must be a private JWK (with "d")' })

/** Builds the configuration from environment variables (see the README for each one). */
export function loadConfig(env: Record<string, string | undefined>): AuthorizationServerConfig {
  const allowInsecureHttp = env.ALLOW_INSECURE_HTTP === 'true'
  const issuer = parse(Url, env.AS_ISSUER ?? DEFAULTS.AS_ISSUER, 'AS_ISSUER')
  const idpIssuer = env.IDP_ISSUER ?? DEFAULTS.IDP_ISSUER
  const resource = env.RS_RESOURCE ?? DEFAULTS.RS_RESOURCE
  // The agent CLI's public keys (docs/demo-world.md). Checked whenever set, even if CLIENTS replaces
  // the defaults, so a private key in it never goes unnoticed (CL-49).
  const agentCliJwks = env.AGENT_CLI_JWKS === undefined || env.AGENT_CLI_JWKS.trim() === '' ? undefined : parsePublicJwks(env.AGENT_CLI_JWKS, 'AGENT_CLI_JWKS')
  // Explicit CLIENTS / TRUSTED_IDPS are taken as given: the CLI joins only the demo defaults.
  const agentCli: RegisteredClient | undefined = agentCliJwks !== undefined && env.CLIENTS === undefined
    // AS-08, AS-10: a program on a user's machine authenticates with a key pair, not a shared secret.
    ? { client_id: DEFAULTS.AGENT_CLI_CLIENT_ID, token_endpoint_auth_method: 'private_key_jwt', jwks: agentCliJwks }
    : undefined

  const trustedIdps: TrustedIdp[] = env.TRUSTED_IDPS !== undefined
    ? parse(TrustedIdps, parseJson(env.TRUSTED_IDPS, 'TRUSTED_IDPS'), 'TRUSTED_IDPS').map((idp) => ({
      issuer: idp.issuer,
      jwks_uri: idp.jwks_uri,
      subject_namespace: idp.subject_namespace ?? idp.issuer, // AS-19: the issuer itself is unique
      client_ids: idp.client_ids,
    }))
    : [{
      issuer: idpIssuer,
      jwks_uri: `${idpIssuer.replace(/\/$/, "")}/jwks`,
      subject_namespace: DEFAULTS.IDP_SUBJECT_NAMESPACE,
      // AS-16: the demo IdP vouches for the demo clients, the CLI included when it is registered.
      client_ids: agentCli === undefined ? [DEFAULTS.CLIENT_ID] : [DEFAULTS.CLIENT_ID, agentCli.client_id],
    }]
  const clients: RegisteredClient[] = env.CLIENTS !== undefined
    ? parse(Clients, parseJson(env.CLIENTS, 'CLIENTS'), 'CLIENTS') as RegisteredClient[]
    : [
      { client_id: DEFAULTS.CLIENT_ID, client_secret: DEFAULTS.CLIENT_SECRET, token_endpoint_auth_method: 'client_secret_basic' },
      ...(agentCli === undefined ? [] : [agentCli]),
    ]
  requireDistinctTrustedIdps(trustedIdps, clients, env.TRUSTED_IDPS !== undefined)
  const mcpServers = env.MCP_SERVERS !== undefined
    ? parse(McpServers, parseJson(env.MCP_SERVERS, 'MCP_SERVERS'), 'MCP_SERVERS')
    : [{ resource, scopes: [...DEFAULTS.RS_SCOPES] }]

  // SEC: every URL is https unless the insecure demo mode is switched on explicitly.
  const urls: Array<[string, string]> = [
    ['AS_ISSUER', issuer],
    ...trustedIdps.flatMap((idp): Array<[string, string]> => [['TRUSTED_IDPS issuer', idp.issuer], ['TRUSTED_IDPS jwks_uri', idp.jwks_uri]]),
    ...mcpServers.map((server): [string, string] => ['MCP_SERVERS resource', server.resource]),
    ...clients.flatMap((client): Array<[string, string]> => client.jwks_uri === undefined ? [] : [['CLIENTS jwks_uri', client.jwks_uri]]),
  ]
  for (const [name, url] of urls) requireSecureUrl(url, name, allowInsecureHttp)
  const issuerUrl = new URL(issuer)
  if (issuerUrl.search !== '' || issuerUrl.hash !== '') throw new TypeError(`AS_ISSUER must not carry a query or fragment (RFC 8414 §2): ${issuer}`)

  return {
    issuer,
    port: env.AS_PORT !== undefined ? parse(PositiveInt, env.AS_PORT, 'AS_PORT') : portOf(issuerUrl),
    allowInsecureHttp,
    trustedIdps,
    clients,
    mcpServers,
    accessTokenLifetimeSeconds: env.ACCESS_TOKEN_LIFETIME_SECONDS !== undefined
      ? parse(PositiveInt, env.ACCESS_TOKEN_LIFETIME_SECONDS, 'ACCESS_TOKEN_LIFETIME_SECONDS')
      : DEFAULTS.ACCESS_TOKEN_LIFETIME_SECONDS,
    clockSkewSeconds: env.CLOCK_SKEW_SECONDS !== undefined
      ? parse(z.coerce.number().int().min(0).max(300), env.CLOCK_SKEW_SECONDS, 'CLOCK_SKEW_SECONDS')
      : DEFAULTS.CLOCK_SKEW_SECONDS,
    maxIdJagLifetimeSeconds: env.MAX_ID_JAG_LIFETIME_SECONDS !== undefined
      ? parse(PositiveInt, env.MAX_ID_JAG_LIFETIME_SECONDS, 'MAX_ID_JAG_LIFETIME_SECONDS')
      : DEFAULTS.MAX_ID_JAG_LIFETIME_SECONDS,
    tokenRateLimitPerMinute: env.TOKEN_RATE_LIMIT_PER_MINUTE !== undefined
      ? parse(z.coerce.number().int().min(0), env.TOKEN_RATE_LIMIT_PER_MINUTE, 'TOKEN_RATE_LIMIT_PER_MINUTE')
      : DEFAULTS.TOKEN_RATE_LIMIT_PER_MINUTE,
    signingKey: env.AS_SIGNING_KEY !== undefined
      ? parse(PrivateJwk, parseJson(env.AS_SIGNING_KEY, 'AS_SIGNING_KEY'), 'AS_SIGNING_KEY') as JWK
      : undefined,
    logLevel: parseLogLevel(env.LOG_LEVEL),
  }
}

/**
 * AS-16, AS-19: each trusted IdP is recognised once, maps its users into a namespace of its own and
 * vouches only for clients registered here.
 */
function requireDistinctTrustedIdps(trustedIdps: readonly TrustedIdp[], clients: readonly RegisteredClient[], fromEnv: boolean): void {
  const where = fromEnv ? 'TRUSTED_IDPS' : 'the default trusted IdP (IDP_ISSUER)'
  const issuers = new Set<string>()
  const namespaces = new Map<string, string>()
  const registered = new Set(clients.map((client) => client.client_id))
  for (const idp of trustedIdps) {
    if (issuers.has(idp.issuer)) throw new TypeError(`invalid TRUSTED_IDPS: issuer ${idp.issuer} is listed twice`)
    issuers.add(idp.issuer)
    // AS-19: the namespace is what keeps two IdPs' users apart; it must be a valid, unique alias.
    parse(SubjectNamespace, idp.subject_namespace, `${where} subject_namespace of ${idp.issuer}`)
    const holder = namespaces.get(idp.subject_namespace)
    if (holder !== undefined) {
      throw new TypeError(`invalid TRUSTED_IDPS: subject_namespace "${idp.subject_namespace}" is used by both ${holder} and ${idp.issuer}; each trusted IdP needs its own`)
    }
    namespaces.set(idp.subject_namespace, idp.issuer)
    // AS-16: an IdP can only be bound to client relationships that exist here.
    for (const clientId of idp.client_ids) {
      if (!registered.has(clientId)) {
        throw new TypeError(`invalid ${where}: client_ids of ${idp.issuer} names "${clientId}", which is not a client registered in CLIENTS${fromEnv ? '' : '; set TRUSTED_IDPS to choose its client_ids'}`)
      }
    }
  }
}

function requireSecureUrl(url: string, name: string, allowInsecureHttp: boolean): void {
  const { protocol } = new URL(url)
  if (protocol === 'https:') return
  if (protocol === 'http:' && allowInsecureHttp) return
  throw new TypeError(`${name} ${url} is not https; set ALLOW_INSECURE_HTTP=true to allow plain http (local demos only)`)
}

function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port)
  return url.protocol === 'https:' ? 443 : 80
}

function parseJson(value: string, name: string): unknown {
  try {
    return JSON.parse(value)
  } catch (cause) {
    throw new TypeError(`${name} is not valid JSON`, { cause })
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const result = schema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : ''
    throw new TypeError(`invalid ${name}${where}: ${issue?.message ?? 'invalid value'}`)
  }
  return result.data
}
