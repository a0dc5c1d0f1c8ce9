import {
  type AuditDestination,
  type DemoResetConfig,
  loadRuntimeConfig,
  readDemoReset,
  parseAuditDestination,
  parseLogLevel,
  type RuntimeConfig,
} from '@ema/server-kit'
import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import type { JWK } from 'jose'
import type { LogLevel } from '@ema/server-kit'
import { parsePublicJwks, signingKeysFromEnv, TOKEN_EXCHANGE_PROFILE } from '@ema/tokens'

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

/**
 * A client registered at this authorization server (its id here, not at the IdP: IDP-21).
 *
 * Two kinds of registration (decision 0050): an **EMA client** (no `redirect_uris`) redeems ID-JAGs
 * (jwt-bearer) and, if switched on, exchanges tokens; an **interactive client** (with `redirect_uris`)
 * uses the authorization code flow with PKCE and the consent screen (CL-09, SEC-14), and nothing else.
 */
export interface RegisteredClient {
  client_id: string
  client_secret?: string
  /**
   * AS-08, AS-10, OBO-07: how the client authenticates at the token endpoint. `tls_client_auth`
   * (RFC 8705 §2.1) works only at the mTLS endpoint alias (AS_MTLS_* configured). `none` (a public
   * client, SEC-14) only for an interactive client: never for jwt-bearer (AS-09) or token exchange (OBO-07).
   */
  token_endpoint_auth_method:
    'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'tls_client_auth' | 'none'
  /**
   * SEC-08: the redirect URIs of an interactive client, matched exactly. Present → the client uses the
   * authorization code flow (and only it); absent → an EMA client.
   */
  redirect_uris?: string[]
  /** OIDC Registration §2, default `web`. A `native` client may use `http` loopback IP redirect URIs on any port (RFC 8252 §7.3). */
  application_type?: 'web' | 'native'
  /** Shown on the consent screen (RFC 7591 §2); default the client_id. */
  client_name?: string
  /** Public keys for private_key_jwt. */
  jwks?: { keys: JWK[] }
  jwks_uri?: string
  /** RFC 8705 §2.1.2: for tls_client_auth, the certificate subject DN (RFC 4514 string), e.g. `CN=tasks-mcp-server`. */
  tls_client_auth_subject_dn?: string
  /**
   * OBO-10: token exchange switched on per client, in Auth0's shape. The on-behalf-of grant is open to
   * the client only when `allow_any_profile_of_type` includes `on_behalf_of_token_exchange`.
   */
  token_exchange?: { allow_any_profile_of_type: string[] }
  /**
   * OBO-10: the MCP server (its resource identifier) this client is tied to, as Auth0's
   * `resource_server_identifier`. The client may exchange only access tokens whose `aud` is this.
   */
  resource_server_identifier?: string
}

/**
 * A downstream API (OBO-12, OBO-20: a first-party API this server issues tokens for) that an MCP
 * server may call on a user's behalf after a token exchange.
 */
export interface DownstreamApi {
  /** The `audience` / `resource` naming it in the exchange (OBO-05), and the issued token's `aud`. */
  identifier: string
  /** Every scope the API defines. */
  scopes: string[]
  /**
   * OBO-10 (Auth0's user-delegated client grants): which clients may obtain which of the API's scopes.
   * A client with no entry here cannot obtain a token for the API.
   */
  client_grants: Array<{ client_id: string; scopes: string[] }>
  /**
   * Inbound scope (of the subject token) → the downstream scopes it allows. A downstream scope is
   * grantable only when some scope of the subject token maps to it. Default: the identity on `scopes`.
   */
  scope_mapping: Record<string, string[]>
}

/** RFC 8705 §5: the mTLS endpoint alias, served over HTTPS with client certificates requested. */
export interface MtlsConfig {
  /** Its base URL; the token endpoint alias is `${url}/token`. */
  url: string
  port: number
  /** PEM files: this server's certificate and key, and the CA(s) client certificates must chain to. */
  certFile: string
  keyFile: string
  caFile: string
}

/**
 * The IdP that signs users in for the authorization code flow (decision 0050): this server is an OIDC
 * relying party of it, registered there as a confidential client (`client_secret_basic`) with the
 * redirect URI `${issuer}/interaction/callback`.
 */
export interface SignInIdp {
  /** One of the trusted IdPs; its `subject_namespace` maps its users to ours (AS-19). */
  issuer: string
  /** This server's client_id at that IdP. */
  clientId: string
  clientSecret: string
  /** This server's redirect URI at the IdP, derived from the issuer. */
  redirectUri: string
}

/** An MCP server this authorization server issues access tokens for (AS-24, AS-26). */
export interface McpServer {
  /** The MCP server's resource identifier (RFC 8707), the access token's `aud` (AS-37). */
  resource: string
  /** Every scope the MCP server knows. An ID-JAG granting anything else is refused (AS-26). */
  scopes: string[]
}

/**
 * With `REDIS_URL`, redeemed ID-JAGs (the replay store), client-assertion `jti`s and rate-limit windows
 * live in Redis, shared by every instance and kept across restarts (decision 0040; `REDIS_KEY_PREFIX`
 * default `ema:as:<issuer>`).
 */
export interface AuthorizationServerConfig extends RuntimeConfig {
  /** This server's issuer identifier; ID-JAGs must carry it as `aud` (AS-01, AS-17). */
  issuer: string
  /** Port to listen on; taken from the issuer URL unless AS_PORT is set. */
  port: number
  /** Permit plain-http URLs (local demos only; logged loudly). */
  allowInsecureHttp: boolean
  trustedIdps: TrustedIdp[]
  clients: RegisteredClient[]
  mcpServers: McpServer[]
  /** The downstream APIs of the on-behalf-of token exchange (OBO-05, OBO-10). */
  downstreamApis: DownstreamApi[]
  /** OBO-16: the most actors an issued token's `act` chain may hold; a deeper chain is `invalid_request`. */
  maxDelegationDepth: number
  /** RFC 8705: the mTLS endpoint alias; absent → no alias, and no client may use tls_client_auth. */
  mtls?: MtlsConfig
  /** The authorization code flow's sign-in at the enterprise IdP (decision 0050). */
  signInIdp: SignInIdp
  /** Keys that sign this server's cookies (sessions, interactions) and derive the consent form's CSRF token. */
  cookieKeys: string[]
  /** `ephemeral` when AS_COOKIE_KEYS is not set: keys generated at start-up (logged loudly). */
  cookieKeysSource: 'configured' | 'ephemeral'
  /** Access token lifetime (AS-39). */
  accessTokenLifetimeSeconds: number
  /** Allowed clock skew when checking ID-JAG times (AS-20, AS-21, AS-22). */
  clockSkewSeconds: number
  /** Longest accepted ID-JAG lifetime, `exp − iat` (AS-21). */
  maxIdJagLifetimeSeconds: number
  /**
   * AS-23: most redeemed ID-JAGs the in-memory replay store holds (each until its `exp` + skew); past
   * it, redemptions are refused with 503, never let through. Size: peak redemptions per second ×
   * (MAX_ID_JAG_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS + 10 s between sweeps); about 150 bytes each. A warning is logged at
   * 80 %. Env `REPLAY_STORE_MAX_ENTRIES`, default 2,000,000 (about 3,000 redemptions a second with the
   * default lifetimes). Not used with REDIS_URL: Redis expires its keys itself.
   */
  replayStoreMaxEntries: number
  /** SEC-07: token requests per client (or per address) per minute; over it → 429. `0` = no limit. */
  tokenRateLimitPerMinute: number
  /**
   * Env `AS_DEMO_ATTACKS=true` (`npm start` and the browser tests set it; off by default): the demo
   * defaults also register {@link DEMO_ATTACK_WORLD}'s second MCP server and second client, so that the
   * client app's "Break it" panel can show this server refusing a token for another MCP server and
   * another client's ID-JAG. Ignored where MCP_SERVERS / CLIENTS are given. Logged loudly.
   */
  demoAttacks: boolean
  /**
   * Env `DEMO_CLASSIC=true` (`npm start` and the browser tests set it; off by default): the demo
   * defaults also register {@link DEMO_CLASSIC_CLIENT}, with the redirect URI
   * `${CLIENT_URL}/classic/callback` (CLIENT_URL default `http://localhost:3000`). Ignored where CLIENTS is given.
   */
  demoClassic: boolean
  /**
   * DEMO_RESET=true with DEMO_RESET_SECRET (`npm start` and the browser tests; off by default): `POST
   * /demo/reset` forgets the redeemed ID-JAG `jti`s (in memory only). Undefined when off.
   */
  demoReset: DemoResetConfig | undefined
  /** The private JWK that signs access tokens (the first of `signingKeys`); absent → main.ts generates one (loud warning). */
  signingKey?: JWK
  /**
   * Every configured key, all published at /jwks; the first signs (rotation). Env `AS_SIGNING_KEYS` (a
   * JWK Set of private keys), `AS_SIGNING_KEYS_FILE` (a file holding one) or `AS_SIGNING_KEY` (one
   * private JWK). Every instance of one deployment must have the same keys.
   */
  signingKeys?: JWK[]
  logLevel: LogLevel
  /** Env `AUDIT_LOG`: `stdout` (default), `off`, or a file of JSON lines (server-kit's audit events). */
  auditLog: AuditDestination
}

/**
 * What `AS_DEMO_ATTACKS=true` adds to the demo defaults (docs/demo-world.md, "Break it"): a second MCP
 * server that this server governs (its tokens must be refused by Tasks, RS-09), and a second client
 * whose credentials the demo's "attacker" holds (an ID-JAG issued to Acme Agent must be refused when it
 * presents one, AS-18). Neither serves anything: they are names and a secret.
 */
export const DEMO_ATTACK_WORLD = {
  OTHER_MCP_SERVER: { resource: 'https://calendar.acme.example/mcp', scopes: ['calendar.read'] },
  OTHER_CLIENT: {
    client_id: 'other-agent',
    client_secret: 'other-agent-secret',
    token_endpoint_auth_method: 'client_secret_basic',
  },
} as const

/**
 * What `DEMO_CLASSIC=true` adds to the demo defaults (docs/demo-world.md): Acme Agent's second
 * registration, an interactive client (decision 0050) for the page's "without enterprise-managed
 * authorization" toggle: the classic authorization code flow with this server's consent screen. Its
 * redirect URI is below CLIENT_URL. The EMA registration (`acme-agent-tasks`) is unchanged.
 */
export const DEMO_CLASSIC_CLIENT = {
  client_id: 'acme-agent-classic',
  client_secret: 'acme-agent-classic-secret',
  token_endpoint_auth_method: 'client_secret_basic',
  client_name: 'Acme Agent (classic MCP authorization)',
  redirectPath: '/classic/callback',
} as const

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
  /** The MCP server's own client here, for the on-behalf-of token exchange (docs/demo-world.md). */
  MCP_SERVER_CLIENT_ID: 'tasks-mcp-server',
  /** Its secret, used only when mTLS is off (the secret variant). */
  MCP_SERVER_CLIENT_SECRET: 'tasks-mcp-server-secret',
  /** Its certificate subject when mTLS is on (RFC 8705 §2.1.2). */
  MCP_SERVER_CLIENT_SUBJECT_DN: 'CN=tasks-mcp-server',
  /** The Tasks API, the default downstream API. */
  TASKS_API_URL: 'http://localhost:4004',
  TASKS_API_SCOPES: ['tasks.read', 'tasks.write'],
  AS_MTLS_URL: 'https://localhost:4012',
  /** OBO-16: Auth0's limit of nested `act` levels. */
  MAX_DELEGATION_DEPTH: 5,
  ACCESS_TOKEN_LIFETIME_SECONDS: 600,
  CLOCK_SKEW_SECONDS: 30,
  MAX_ID_JAG_LIFETIME_SECONDS: 600,
  REPLAY_STORE_MAX_ENTRIES: 2_000_000,
  TOKEN_RATE_LIMIT_PER_MINUTE: 600,
  /** This server's client at the IdP for the authorization code flow's sign-in (docs/demo-world.md). */
  SIGN_IN_IDP_CLIENT_ID: 'mcp-authorization-server',
  SIGN_IN_IDP_CLIENT_SECRET: 'mcp-authorization-server-idp-secret',
} as const

/** This server's redirect URI at the sign-in IdP: below the issuer (decision 0050). */
export function signInRedirectUri(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/interaction/callback`
}

const Url = z.string().url()
/** AS-19: `|` separates the namespace from the IdP's `sub`, so it may not occur in the namespace. */
const SubjectNamespace = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^|\s]+$/, 'subject_namespace must not contain "|" or whitespace')
const TrustedIdps = z
  .array(
    z
      .object({
        issuer: Url,
        jwks_uri: Url,
        subject_namespace: SubjectNamespace.optional(),
        client_ids: z
          .array(z.string().min(1), {
            error: 'client_ids is required: the clients registered here that this IdP may vouch for (AS-16)',
          })
          .min(1, 'client_ids must name at least one registered client (AS-16)'),
      })
      .strict(),
  )
  .min(1)
const Jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) })
const Clients = z
  .array(
    z
      .object({
        client_id: z.string().min(1),
        client_secret: z.string().min(1).optional(),
        token_endpoint_auth_method: z.enum([
          'client_secret_basic',
          'client_secret_post',
          'private_key_jwt',
          'tls_client_auth',
          'none',
        ]),
        jwks: Jwks.optional(),
        jwks_uri: Url.optional(),
        tls_client_auth_subject_dn: z.string().min(1).optional(),
        token_exchange: z
          .object({ allow_any_profile_of_type: z.array(z.string().min(1)) })
          .strict()
          .optional(),
        resource_server_identifier: Url.optional(),
        redirect_uris: z.array(Url).min(1, 'redirect_uris must name at least one redirect URI').optional(),
        application_type: z.enum(['web', 'native']).optional(),
        client_name: z.string().min(1).max(100).optional(),
      })
      .strict()
      .refine(
        (c) => {
          switch (c.token_endpoint_auth_method) {
            case 'private_key_jwt':
              return c.jwks !== undefined || c.jwks_uri !== undefined
            case 'tls_client_auth':
              return c.tls_client_auth_subject_dn !== undefined && c.client_secret === undefined
            case 'none':
              return c.client_secret === undefined
            default:
              return c.client_secret !== undefined
          }
        },
        {
          message:
            'client_secret_* clients need client_secret; private_key_jwt clients need jwks or jwks_uri; tls_client_auth clients need tls_client_auth_subject_dn and no client_secret; none (public) clients have no client_secret',
        },
      ),
  )
  .min(1)
const ScopeToken = z
  .string()
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope must be a non-empty scope token (RFC 6749 §3.3)')
const McpServers = z.array(z.object({ resource: Url, scopes: z.array(ScopeToken).min(1) }).strict()).min(1)
const DownstreamApis = z.array(
  z
    .object({
      identifier: Url,
      scopes: z.array(ScopeToken).min(1),
      client_grants: z.array(z.object({ client_id: z.string().min(1), scopes: z.array(ScopeToken).min(1) }).strict()),
      scope_mapping: z.record(ScopeToken, z.array(ScopeToken)).optional(),
    })
    .strict(),
)
const PositiveInt = z.coerce.number().int().positive()
const PrivateJwk = z
  .record(z.string(), z.unknown())
  .refine((jwk) => typeof jwk.d === 'string', { message: 'must be a private JWK (with "d")' })

/** Builds the configuration from environment variables (see the README for each one). */
export function loadConfig(env: Record<string, string | undefined>): AuthorizationServerConfig {
  const allowInsecureHttp = env.ALLOW_INSECURE_HTTP === 'true'
  const demoAttacks = env.AS_DEMO_ATTACKS === 'true'
  const demoClassic = env.DEMO_CLASSIC === 'true'
  const issuer = parse(Url, env.AS_ISSUER ?? DEFAULTS.AS_ISSUER, 'AS_ISSUER')
  const idpIssuer = env.IDP_ISSUER ?? DEFAULTS.IDP_ISSUER
  const resource = env.RS_RESOURCE ?? DEFAULTS.RS_RESOURCE
  // The agent CLI's public keys (docs/demo-world.md). Checked whenever set, even if CLIENTS replaces
  // the defaults, so a private key in it never goes unnoticed (CL-49).
  const agentCliJwks =
    env.AGENT_CLI_JWKS === undefined || env.AGENT_CLI_JWKS.trim() === ''
      ? undefined
      : parsePublicJwks(env.AGENT_CLI_JWKS, 'AGENT_CLI_JWKS')
  // Explicit CLIENTS / TRUSTED_IDPS are taken as given: the CLI joins only the demo defaults.
  const agentCli: RegisteredClient | undefined =
    agentCliJwks !== undefined && env.CLIENTS === undefined
      ? // AS-08, AS-10: a program on a user's machine authenticates with a key pair, not a shared secret.
        { client_id: DEFAULTS.AGENT_CLI_CLIENT_ID, token_endpoint_auth_method: 'private_key_jwt', jwks: agentCliJwks }
      : undefined

  const trustedIdps: TrustedIdp[] =
    env.TRUSTED_IDPS !== undefined
      ? parse(TrustedIdps, parseJson(env.TRUSTED_IDPS, 'TRUSTED_IDPS'), 'TRUSTED_IDPS').map((idp) => ({
          issuer: idp.issuer,
          jwks_uri: idp.jwks_uri,
          subject_namespace: idp.subject_namespace ?? idp.issuer, // AS-19: the issuer itself is unique
          client_ids: idp.client_ids,
        }))
      : [
          {
            issuer: idpIssuer,
            jwks_uri: `${idpIssuer.replace(/\/$/, '')}/jwks`,
            subject_namespace: DEFAULTS.IDP_SUBJECT_NAMESPACE,
            // AS-16: the demo IdP vouches for the demo clients, the CLI included when it is registered.
            client_ids: agentCli === undefined ? [DEFAULTS.CLIENT_ID] : [DEFAULTS.CLIENT_ID, agentCli.client_id],
          },
        ]
  const mtls = loadMtlsConfig(env)
  const clients: RegisteredClient[] =
    env.CLIENTS !== undefined
      ? (parse(Clients, parseJson(env.CLIENTS, 'CLIENTS'), 'CLIENTS') as RegisteredClient[])
      : [
          {
            client_id: DEFAULTS.CLIENT_ID,
            client_secret: DEFAULTS.CLIENT_SECRET,
            token_endpoint_auth_method: 'client_secret_basic',
          },
          ...(agentCli === undefined ? [] : [agentCli]),
          mcpServerClient(resource, mtls !== undefined),
          ...(demoAttacks ? [{ ...DEMO_ATTACK_WORLD.OTHER_CLIENT }] : []),
          ...(demoClassic ? [demoClassicClient(env.CLIENT_URL ?? 'http://localhost:3000')] : []),
        ]
  requireDistinctTrustedIdps(trustedIdps, clients, env.TRUSTED_IDPS !== undefined)
  const mcpServers =
    env.MCP_SERVERS !== undefined
      ? parse(McpServers, parseJson(env.MCP_SERVERS, 'MCP_SERVERS'), 'MCP_SERVERS')
      : [
          { resource, scopes: [...DEFAULTS.RS_SCOPES] },
          ...(demoAttacks
            ? [
                {
                  resource: DEMO_ATTACK_WORLD.OTHER_MCP_SERVER.resource,
                  scopes: [...DEMO_ATTACK_WORLD.OTHER_MCP_SERVER.scopes],
                },
              ]
            : []),
        ]
  requireUsableClients(clients, mcpServers, mtls, env.CLIENTS !== undefined)
  const downstreamApis: DownstreamApi[] =
    env.DOWNSTREAM_APIS !== undefined
      ? parse(DownstreamApis, parseJson(env.DOWNSTREAM_APIS, 'DOWNSTREAM_APIS'), 'DOWNSTREAM_APIS').map((api) => ({
          ...api,
          scope_mapping: api.scope_mapping ?? identityMapping(api.scopes),
        }))
      : [
          {
            identifier: env.TASKS_API_URL ?? DEFAULTS.TASKS_API_URL,
            scopes: [...DEFAULTS.TASKS_API_SCOPES],
            // By default every client switched on for OBO may obtain every scope of the Tasks API.
            client_grants: clients
              .filter(isOnBehalfOfClient)
              .map((client) => ({ client_id: client.client_id, scopes: [...DEFAULTS.TASKS_API_SCOPES] })),
            scope_mapping: identityMapping(DEFAULTS.TASKS_API_SCOPES),
          },
        ]
  requireValidDownstreamApis(
    downstreamApis,
    clients,
    mcpServers,
    env.DOWNSTREAM_APIS !== undefined ? 'DOWNSTREAM_APIS' : 'the default downstream API (TASKS_API_URL)',
  )

  // SEC: every URL is https unless the insecure demo mode is switched on explicitly.
  const urls: Array<[string, string]> = [
    ['AS_ISSUER', issuer],
    ...trustedIdps.flatMap((idp): Array<[string, string]> => [
      ['TRUSTED_IDPS issuer', idp.issuer],
      ['TRUSTED_IDPS jwks_uri', idp.jwks_uri],
    ]),
    ...mcpServers.map((server): [string, string] => ['MCP_SERVERS resource', server.resource]),
    ...clients.flatMap((client): Array<[string, string]> =>
      client.jwks_uri === undefined ? [] : [['CLIENTS jwks_uri', client.jwks_uri]],
    ),
    // Downstream API identifiers are names (the issued token's `aud`) that this server never calls,
    // so they are not held to the https rule; the Tasks API itself decides how it is served.
  ]
  for (const [name, url] of urls) requireSecureUrl(url, name, allowInsecureHttp)
  const issuerUrl = new URL(issuer)
  if (issuerUrl.search !== '' || issuerUrl.hash !== '')
    throw new TypeError(`AS_ISSUER must not carry a query or fragment (RFC 8414 §2): ${issuer}`)
  requireSafeRedirectUris(clients, allowInsecureHttp, env.CLIENTS !== undefined)
  const signInIdp = loadSignInIdp(env, issuer, trustedIdps)
  const cookieKeys =
    env.AS_COOKIE_KEYS?.split(',')
      .map((key) => key.trim())
      .filter((key) => key !== '') ?? []

  return {
    issuer,
    port: env.AS_PORT !== undefined ? parse(PositiveInt, env.AS_PORT, 'AS_PORT') : portOf(issuerUrl),
    allowInsecureHttp,
    trustedIdps,
    clients,
    mcpServers,
    downstreamApis,
    maxDelegationDepth:
      env.MAX_DELEGATION_DEPTH !== undefined
        ? parse(z.coerce.number().int().min(2).max(20), env.MAX_DELEGATION_DEPTH, 'MAX_DELEGATION_DEPTH')
        : DEFAULTS.MAX_DELEGATION_DEPTH,
    ...(mtls === undefined ? {} : { mtls }),
    signInIdp,
    cookieKeys: cookieKeys.length > 0 ? cookieKeys : [randomBytes(32).toString('base64url')],
    cookieKeysSource: cookieKeys.length > 0 ? 'configured' : 'ephemeral',
    accessTokenLifetimeSeconds:
      env.ACCESS_TOKEN_LIFETIME_SECONDS !== undefined
        ? parse(PositiveInt, env.ACCESS_TOKEN_LIFETIME_SECONDS, 'ACCESS_TOKEN_LIFETIME_SECONDS')
        : DEFAULTS.ACCESS_TOKEN_LIFETIME_SECONDS,
    clockSkewSeconds:
      env.CLOCK_SKEW_SECONDS !== undefined
        ? parse(z.coerce.number().int().min(0).max(300), env.CLOCK_SKEW_SECONDS, 'CLOCK_SKEW_SECONDS')
        : DEFAULTS.CLOCK_SKEW_SECONDS,
    maxIdJagLifetimeSeconds:
      env.MAX_ID_JAG_LIFETIME_SECONDS !== undefined
        ? parse(PositiveInt, env.MAX_ID_JAG_LIFETIME_SECONDS, 'MAX_ID_JAG_LIFETIME_SECONDS')
        : DEFAULTS.MAX_ID_JAG_LIFETIME_SECONDS,
    replayStoreMaxEntries:
      env.REPLAY_STORE_MAX_ENTRIES !== undefined
        ? parse(PositiveInt, env.REPLAY_STORE_MAX_ENTRIES, 'REPLAY_STORE_MAX_ENTRIES')
        : DEFAULTS.REPLAY_STORE_MAX_ENTRIES,
    tokenRateLimitPerMinute:
      env.TOKEN_RATE_LIMIT_PER_MINUTE !== undefined
        ? parse(z.coerce.number().int().min(0), env.TOKEN_RATE_LIMIT_PER_MINUTE, 'TOKEN_RATE_LIMIT_PER_MINUTE')
        : DEFAULTS.TOKEN_RATE_LIMIT_PER_MINUTE,
    demoAttacks,
    demoClassic,
    demoReset: readDemoReset(env),
    ...signingKeys(env),
    logLevel: parseLogLevel(env.LOG_LEVEL),
    auditLog: parseAuditDestination(env.AUDIT_LOG),
    ...loadRuntimeConfig(env, `ema:as:${issuer}`), // decision 0040
  }
}

/** AS_SIGNING_KEY keeps its older parse; AS_SIGNING_KEYS / AS_SIGNING_KEYS_FILE give several (rotation). */
function signingKeys(
  env: Record<string, string | undefined>,
): Pick<AuthorizationServerConfig, 'signingKey' | 'signingKeys'> {
  if (env.AS_SIGNING_KEY !== undefined && env.AS_SIGNING_KEYS === undefined && env.AS_SIGNING_KEYS_FILE === undefined) {
    const key = parse(PrivateJwk, parseJson(env.AS_SIGNING_KEY, 'AS_SIGNING_KEY'), 'AS_SIGNING_KEY') as JWK
    return { signingKey: key, signingKeys: [key] }
  }
  const keys = signingKeysFromEnv(env, 'AS')
  return keys === undefined ? {} : { signingKey: keys[0]!, signingKeys: keys }
}

/**
 * AS-16, AS-19: each trusted IdP is recognised once, maps its users into a namespace of its own and
 * vouches only for clients registered here.
 */
function requireDistinctTrustedIdps(
  trustedIdps: readonly TrustedIdp[],
  clients: readonly RegisteredClient[],
  fromEnv: boolean,
): void {
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
      throw new TypeError(
        `invalid TRUSTED_IDPS: subject_namespace "${idp.subject_namespace}" is used by both ${holder} and ${idp.issuer}; each trusted IdP needs its own`,
      )
    }
    namespaces.set(idp.subject_namespace, idp.issuer)
    // AS-16: an IdP can only be bound to client relationships that exist here.
    for (const clientId of idp.client_ids) {
      if (!registered.has(clientId)) {
        throw new TypeError(
          `invalid ${where}: client_ids of ${idp.issuer} names "${clientId}", which is not a client registered in CLIENTS${fromEnv ? '' : '; set TRUSTED_IDPS to choose its client_ids'}`,
        )
      }
      // Decision 0050: an interactive registration uses the authorization code flow only; it never redeems ID-JAGs.
      if (clients.some((client) => client.client_id === clientId && isInteractiveClient(client))) {
        throw new TypeError(
          `invalid ${where}: client_ids of ${idp.issuer} names "${clientId}", an interactive client (it has redirect_uris); ID-JAGs are redeemed by EMA clients, registered without redirect_uris`,
        )
      }
    }
  }
}

/** {@link DEMO_CLASSIC_CLIENT} as a registration, its redirect URI below the web app's URL. */
function demoClassicClient(clientUrl: string): RegisteredClient {
  const { redirectPath, ...registration } = DEMO_CLASSIC_CLIENT
  return { ...registration, redirect_uris: [`${clientUrl.replace(/\/$/, '')}${redirectPath}`] }
}

/** Decision 0050: the client uses the authorization code flow (it registered redirect URIs). */
export function isInteractiveClient(client: RegisteredClient): boolean {
  return client.redirect_uris !== undefined
}

/** RFC 8252 §7.3: loopback IP literals, to which a native client may redirect over plain http. */
const LOOPBACK_IP = /^(127(?:\.\d{1,3}){3}|\[::1\])$/

/**
 * SEC-01, SEC-08: redirect URIs are https, or http to a loopback host with ALLOW_INSECURE_HTTP, or (a
 * `native` client) http to a loopback IP literal (RFC 8252 §7.3, §8.3); never with a fragment
 * (RFC 6749 §3.1.2).
 */
function requireSafeRedirectUris(
  clients: readonly RegisteredClient[],
  allowInsecureHttp: boolean,
  fromEnv: boolean,
): void {
  const where = fromEnv ? 'CLIENTS' : 'the default clients'
  for (const client of clients) {
    for (const uri of client.redirect_uris ?? []) {
      const url = new URL(uri)
      if (url.hash !== '' || uri.includes('#'))
        throw new TypeError(
          `invalid ${where}: a redirect URI of "${client.client_id}" has a fragment (RFC 6749 §3.1.2)`,
        )
      if (client.application_type === 'native' && url.protocol === 'http:' && LOOPBACK_IP.test(url.hostname)) continue
      requireSecureUrl(uri, `CLIENTS redirect URI of "${client.client_id}"`, allowInsecureHttp)
    }
  }
}

/**
 * Decision 0050: the IdP that signs users in for the authorization code flow. SIGN_IN_IDP_ISSUER
 * names one of the trusted IdPs (default: the first one); SIGN_IN_IDP_CLIENT_ID and
 * SIGN_IN_IDP_CLIENT_SECRET are this server's registration there (demo defaults).
 */
function loadSignInIdp(
  env: Record<string, string | undefined>,
  issuer: string,
  trustedIdps: readonly TrustedIdp[],
): SignInIdp {
  const idpIssuer = env.SIGN_IN_IDP_ISSUER ?? trustedIdps[0]?.issuer
  if (idpIssuer === undefined || !trustedIdps.some((idp) => idp.issuer === idpIssuer)) {
    throw new TypeError(
      `SIGN_IN_IDP_ISSUER ${idpIssuer ?? '(none)'} is not a trusted IdP; name one of TRUSTED_IDPS (${trustedIdps.map((idp) => idp.issuer).join(', ')})`,
    )
  }
  return {
    issuer: idpIssuer,
    clientId: parse(
      z.string().min(1),
      env.SIGN_IN_IDP_CLIENT_ID ?? DEFAULTS.SIGN_IN_IDP_CLIENT_ID,
      'SIGN_IN_IDP_CLIENT_ID',
    ),
    clientSecret: parse(
      z.string().min(1),
      env.SIGN_IN_IDP_CLIENT_SECRET ?? DEFAULTS.SIGN_IN_IDP_CLIENT_SECRET,
      'SIGN_IN_IDP_CLIENT_SECRET',
    ),
    redirectUri: signInRedirectUri(issuer),
  }
}

/** OBO-10: the client is switched on for the on-behalf-of token exchange (Auth0's configuration shape). */
export function isOnBehalfOfClient(client: RegisteredClient): boolean {
  return client.token_exchange?.allow_any_profile_of_type.includes(TOKEN_EXCHANGE_PROFILE.ON_BEHALF_OF) === true
}

/**
 * The MCP server's demo client (docs/demo-world.md): switched on for OBO, tied to the MCP server, and
 * authenticating with its certificate when the mTLS alias is served, else with its secret.
 */
function mcpServerClient(resource: string, mtls: boolean): RegisteredClient {
  const authentication: Pick<
    RegisteredClient,
    'token_endpoint_auth_method' | 'client_secret' | 'tls_client_auth_subject_dn'
  > = mtls
    ? {
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_subject_dn: DEFAULTS.MCP_SERVER_CLIENT_SUBJECT_DN,
      }
    : { token_endpoint_auth_method: 'client_secret_basic', client_secret: DEFAULTS.MCP_SERVER_CLIENT_SECRET }
  return {
    client_id: DEFAULTS.MCP_SERVER_CLIENT_ID,
    ...authentication,
    token_exchange: { allow_any_profile_of_type: [TOKEN_EXCHANGE_PROFILE.ON_BEHALF_OF] },
    resource_server_identifier: resource,
  }
}

/** RFC 8705 §5: AS_MTLS_CERT_FILE, AS_MTLS_KEY_FILE and AS_MTLS_CA_FILE switch the alias on, all three or none. */
function loadMtlsConfig(env: Record<string, string | undefined>): MtlsConfig | undefined {
  const files = {
    AS_MTLS_CERT_FILE: env.AS_MTLS_CERT_FILE,
    AS_MTLS_KEY_FILE: env.AS_MTLS_KEY_FILE,
    AS_MTLS_CA_FILE: env.AS_MTLS_CA_FILE,
  }
  const given = Object.entries(files).filter(([, value]) => value !== undefined && value !== '')
  if (given.length === 0) return undefined
  if (given.length !== 3) {
    const missing = Object.keys(files).filter((name) => !given.some(([given]) => given === name))
    throw new TypeError(
      `the mTLS endpoint alias needs AS_MTLS_CERT_FILE, AS_MTLS_KEY_FILE and AS_MTLS_CA_FILE together; missing ${missing.join(', ')}`,
    )
  }
  const url = parse(Url, env.AS_MTLS_URL ?? DEFAULTS.AS_MTLS_URL, 'AS_MTLS_URL').replace(/\/$/, '')
  const parsed = new URL(url)
  if (parsed.protocol !== 'https:') throw new TypeError(`AS_MTLS_URL must be https (RFC 8705 needs TLS): ${url}`)
  if (parsed.search !== '' || parsed.hash !== '' || parsed.pathname !== '/')
    throw new TypeError(`AS_MTLS_URL must be an origin without path, query or fragment: ${url}`)
  return {
    url,
    port: portOf(parsed),
    certFile: files.AS_MTLS_CERT_FILE ?? '',
    keyFile: files.AS_MTLS_KEY_FILE ?? '',
    caFile: files.AS_MTLS_CA_FILE ?? '',
  }
}

/** OBO-10, RFC 8705: a client's switches must be usable as configured. */
function requireUsableClients(
  clients: readonly RegisteredClient[],
  mcpServers: readonly McpServer[],
  mtls: MtlsConfig | undefined,
  fromEnv: boolean,
): void {
  const where = fromEnv ? 'CLIENTS' : 'the default clients'
  const ids = new Set<string>()
  for (const client of clients) {
    if (ids.has(client.client_id))
      throw new TypeError(`invalid ${where}: client_id "${client.client_id}" is listed twice`)
    ids.add(client.client_id)
    if (client.token_endpoint_auth_method === 'tls_client_auth' && mtls === undefined) {
      throw new TypeError(
        `invalid ${where}: client "${client.client_id}" uses tls_client_auth, which needs the mTLS endpoint alias; set AS_MTLS_CERT_FILE, AS_MTLS_KEY_FILE and AS_MTLS_CA_FILE`,
      )
    }
    if (
      client.resource_server_identifier !== undefined &&
      !mcpServers.some((server) => server.resource === client.resource_server_identifier)
    ) {
      throw new TypeError(
        `invalid ${where}: client "${client.client_id}" is tied to ${client.resource_server_identifier} (resource_server_identifier), which is not a registered MCP server (MCP_SERVERS)`,
      )
    }
    if (isOnBehalfOfClient(client) && client.resource_server_identifier === undefined) {
      throw new TypeError(
        `invalid ${where}: client "${client.client_id}" is switched on for on_behalf_of_token_exchange but names no resource_server_identifier (the MCP server it is tied to, OBO-10)`,
      )
    }
    if (isInteractiveClient(client)) {
      // Decision 0050: an interactive registration is only that; EMA and OBO use registrations of their own.
      if (client.token_exchange !== undefined || client.resource_server_identifier !== undefined) {
        throw new TypeError(
          `invalid ${where}: client "${client.client_id}" has redirect_uris (an interactive client, authorization code flow only) and token exchange settings; register the MCP server's token exchange client separately`,
        )
      }
    } else {
      // AS-09, OBO-07: a public client can only use the authorization code flow, which needs redirect_uris.
      if (client.token_endpoint_auth_method === 'none') {
        throw new TypeError(
          `invalid ${where}: client "${client.client_id}" is public (token_endpoint_auth_method none) without redirect_uris; public clients may only use the authorization code flow (SEC-14), so give it redirect_uris`,
        )
      }
      if (client.application_type !== undefined || client.client_name !== undefined) {
        throw new TypeError(
          `invalid ${where}: client "${client.client_id}" has application_type or client_name, which only interactive clients (with redirect_uris) use`,
        )
      }
    }
  }
}

/** OBO-05, OBO-10: each downstream API is distinct from every MCP server, and grants only what it defines to clients that exist. */
function requireValidDownstreamApis(
  apis: readonly DownstreamApi[],
  clients: readonly RegisteredClient[],
  mcpServers: readonly McpServer[],
  where: string,
): void {
  const identifiers = new Set<string>()
  for (const api of apis) {
    if (new URL(api.identifier).hash !== '' || api.identifier.includes('#'))
      throw new TypeError(`invalid ${where}: identifier ${api.identifier} must not have a fragment (RFC 8707 §2)`)
    if (identifiers.has(api.identifier))
      throw new TypeError(`invalid ${where}: identifier ${api.identifier} is listed twice`)
    identifiers.add(api.identifier)
    // An MCP server's own tokens must never be obtainable by exchange (OBO-01: no passthrough, no laundering).
    if (mcpServers.some((server) => server.resource === api.identifier))
      throw new TypeError(`invalid ${where}: ${api.identifier} is an MCP server (MCP_SERVERS), not a downstream API`)
    for (const grant of api.client_grants) {
      const client = clients.find((candidate) => candidate.client_id === grant.client_id)
      if (client === undefined)
        throw new TypeError(
          `invalid ${where}: client_grants of ${api.identifier} names "${grant.client_id}", which is not a client registered in CLIENTS`,
        )
      const unknown = grant.scopes.filter((scope) => !api.scopes.includes(scope))
      if (unknown.length > 0)
        throw new TypeError(
          `invalid ${where}: client_grants of ${api.identifier} gives "${grant.client_id}" scopes the API does not define: ${unknown.join(' ')}`,
        )
    }
    for (const [inbound, mapped] of Object.entries(api.scope_mapping)) {
      const unknown = mapped.filter((scope) => !api.scopes.includes(scope))
      if (unknown.length > 0)
        throw new TypeError(
          `invalid ${where}: scope_mapping of ${api.identifier} maps "${inbound}" to scopes the API does not define: ${unknown.join(' ')}`,
        )
    }
  }
}

/** Each scope maps to itself. */
function identityMapping(scopes: readonly string[]): Record<string, string[]> {
  return Object.fromEntries(scopes.map((scope) => [scope, [scope]]))
}

function requireSecureUrl(url: string, name: string, allowInsecureHttp: boolean): void {
  const { protocol } = new URL(url)
  if (protocol === 'https:') return
  if (protocol === 'http:' && allowInsecureHttp) return
  throw new TypeError(
    `${name} ${url} is not https; set ALLOW_INSECURE_HTTP=true to allow plain http (local demos only)`,
  )
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
