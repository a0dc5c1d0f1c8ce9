import {
  type AuditDestination,
  type DemoResetConfig,
  type Env,
  firstIssue,
  loadRuntimeConfig,
  type LogLevel,
  parseAuditDestination,
  parseLogLevel,
  readDemoReset,
  readJson,
  readPort,
  readUrl,
  type ReadUrlOptions,
  type RuntimeConfig,
} from '@ema/server-kit'
import {
  CLIENT_AUTH_METHOD,
  type ClientAuthMethodName,
  parsePublicJwks,
  signingKeysFromEnv,
  TOKEN_EXCHANGE_PROFILE,
} from '@ema/tokens'
import type { JWK } from 'jose'
import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { isOnBehalfOfClient } from './client-kinds.ts'
import { Clients, DownstreamApis, McpServers, TrustedIdps } from './registration-schemas.ts'
import { requireConsistentRegistrations } from './require-consistent-registrations.ts'

/**
 * Configuration of the MCP authorization server.
 *
 * Everything a starter fork must change lives here: the issuer, the trusted IdPs, the registered
 * clients, the MCP servers and their scopes, lifetimes and the signing keys. Each field names its
 * variable, its default and why; the defaults are the demo world (docs/demo-world.md), so `npm start`
 * works with no set-up. Only main.ts passes `process.env`.
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
  token_endpoint_auth_method: ClientAuthMethodName
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
  /**
   * AS-01, AS-17: this server's issuer identifier; ID-JAGs must carry it as `aud`. Env `AS_ISSUER`,
   * default `http://localhost:4002`, kept as written (compared exactly), without query or fragment.
   */
  issuer: string
  /** Env `AS_PORT`, default the port of the issuer URL (behind a proxy they differ). */
  port: number
  /** Env `ALLOW_INSECURE_HTTP=true`: plain http to loopback hosts (decision 0024), logged loudly. Default off: https only. */
  allowInsecureHttp: boolean
  /**
   * AS-16: env `TRUSTED_IDPS` (JSON). Default: the demo IdP at `IDP_ISSUER` (default
   * `http://localhost:4001`), namespace `acme`, vouching for the demo EMA clients.
   */
  trustedIdps: TrustedIdp[]
  /**
   * Env `CLIENTS` (JSON). Default: Acme Agent (`acme-agent-tasks`), the agent CLI when `AGENT_CLI_JWKS`
   * gives its public keys, the MCP server's token exchange client, and the demo switches' clients.
   */
  clients: RegisteredClient[]
  /** AS-24, AS-26: env `MCP_SERVERS` (JSON). Default: Tasks at `RS_RESOURCE` (default `http://localhost:4003/mcp`). */
  mcpServers: McpServer[]
  /**
   * OBO-05, OBO-10: env `DOWNSTREAM_APIS` (JSON). Default: the Tasks API at `TASKS_API_URL` (default
   * `http://localhost:4004`), every scope to every client switched on for OBO, scopes mapped to themselves.
   */
  downstreamApis: DownstreamApi[]
  /** OBO-16: the most actors an issued token's `act` chain may hold. Env `MAX_DELEGATION_DEPTH` (2 to 20), default 5, Auth0's limit. */
  maxDelegationDepth: number
  /** RFC 8705 §5: env `AS_MTLS_CERT_FILE`, `_KEY_FILE`, `_CA_FILE` (all three or none), `AS_MTLS_URL`. Absent → no alias, no tls_client_auth. */
  mtls?: MtlsConfig
  /**
   * Decision 0050: the authorization code flow's sign-in at the enterprise IdP. Env `SIGN_IN_IDP_ISSUER`
   * (default the first trusted IdP), `SIGN_IN_IDP_CLIENT_ID` / `_SECRET` (default this server's demo registration).
   */
  signInIdp: SignInIdp
  /** Sign this server's cookies and derive the consent form's CSRF token. Env `AS_COOKIE_KEYS` (comma-separated). */
  cookieKeys: string[]
  /** `ephemeral` when AS_COOKIE_KEYS is not set: keys generated at start-up (logged loudly). */
  cookieKeysSource: 'configured' | 'ephemeral'
  /** AS-39: access token lifetime. Env `ACCESS_TOKEN_LIFETIME_SECONDS`, default 600. */
  accessTokenLifetimeSeconds: number
  /** AS-20, AS-21, AS-22: allowed clock skew when checking ID-JAG times. Env `CLOCK_SKEW_SECONDS` (0 to 300), default 30. */
  clockSkewSeconds: number
  /** AS-21: longest accepted ID-JAG lifetime, `exp − iat`. Env `MAX_ID_JAG_LIFETIME_SECONDS`, default 600. */
  maxIdJagLifetimeSeconds: number
  /**
   * AS-23: most redeemed ID-JAGs the in-memory replay store holds (each until its `exp` + skew); past
   * it, redemptions are refused with 503, never let through. Size: peak redemptions per second ×
   * (MAX_ID_JAG_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS + 10 s between sweeps); about 150 bytes each. A warning is logged at
   * 80 %. Env `REPLAY_STORE_MAX_ENTRIES`, default 2,000,000 (about 3,000 redemptions a second with the
   * default lifetimes). Not used with REDIS_URL: Redis expires its keys itself.
   */
  replayStoreMaxEntries: number
  /** SEC-07: token requests per client (or per address) per minute; over it → 429. Env `TOKEN_RATE_LIMIT_PER_MINUTE`, default 600; `0` = no limit. */
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
  /** Env `LOG_LEVEL`: `debug`, `info` (default), `warn` or `error`. */
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
    token_endpoint_auth_method: CLIENT_AUTH_METHOD.CLIENT_SECRET_BASIC,
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
  token_endpoint_auth_method: CLIENT_AUTH_METHOD.CLIENT_SECRET_BASIC,
  client_name: 'Acme Agent (classic MCP authorization)',
  redirectPath: '/classic/callback',
} as const

/** The demo world's names and secrets (docs/demo-world.md). */
const DEMO = {
  IDP_SUBJECT_NAMESPACE: 'acme',
  RS_SCOPES: ['tasks.read', 'tasks.write'],
  TASKS_API_SCOPES: ['tasks.read', 'tasks.write'],
  /** The "Acme Agent CLI", registered by default only when AGENT_CLI_JWKS gives its public keys. */
  AGENT_CLI_CLIENT_ID: 'acme-agent-cli-tasks',
  /** The MCP server's own client here, for the on-behalf-of token exchange; its secret only when mTLS is off. */
  MCP_SERVER_CLIENT_ID: 'tasks-mcp-server',
  MCP_SERVER_CLIENT_SECRET: 'tasks-mcp-server-secret',
  /** Its certificate subject when mTLS is on (RFC 8705 §2.1.2). */
  MCP_SERVER_CLIENT_SUBJECT_DN: 'CN=tasks-mcp-server',
} as const

const PositiveInt = z.coerce.number().int().positive()
/** The settings that are neither URLs (server-kit's `readUrl`) nor JSON registrations (`readJson`). */
const Settings = z.object({
  AS_DEMO_ATTACKS: z.string().optional(),
  DEMO_CLASSIC: z.string().optional(),
  MAX_DELEGATION_DEPTH: z.coerce.number().int().min(2).max(20).default(5),
  ACCESS_TOKEN_LIFETIME_SECONDS: PositiveInt.default(600),
  CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  MAX_ID_JAG_LIFETIME_SECONDS: PositiveInt.default(600),
  REPLAY_STORE_MAX_ENTRIES: PositiveInt.default(2_000_000),
  TOKEN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  AS_COOKIE_KEYS: z
    .string()
    .optional()
    .transform((keys) => (keys ?? '').split(',').flatMap((key) => (key.trim() === '' ? [] : [key.trim()]))),
  SIGN_IN_IDP_CLIENT_ID: z.string().min(1).default('mcp-authorization-server'),
  SIGN_IN_IDP_CLIENT_SECRET: z.string().min(1).default('mcp-authorization-server-idp-secret'),
})
type Settings = z.output<typeof Settings>

/** Reads and checks the configuration. @throws {TypeError} one line naming the variable at fault. */
export function loadConfig(env: Env): AuthorizationServerConfig {
  const parsed = Settings.safeParse(env)
  if (!parsed.success) throw new TypeError(firstIssue(parsed.error))
  const s = parsed.data
  const urls: ReadUrlOptions = { allowInsecureHttp: env.ALLOW_INSECURE_HTTP === 'true' }
  const issuer = readUrl(env, 'AS_ISSUER', 'http://localhost:4002', urls)
  if (new URL(issuer).search !== '') throw new TypeError('AS_ISSUER must not carry a query (RFC 8414 §2)')
  const mtls = loadMtlsConfig(env, urls)
  const registrations = readRegistrations(env, s, urls, mtls !== undefined)
  requireConsistentRegistrations(registrations, mtls, urls.allowInsecureHttp)
  return {
    issuer,
    port: readPort(env, 'AS_PORT', issuer),
    allowInsecureHttp: urls.allowInsecureHttp,
    trustedIdps: registrations.trustedIdps,
    clients: registrations.clients,
    mcpServers: registrations.mcpServers,
    downstreamApis: registrations.downstreamApis,
    maxDelegationDepth: s.MAX_DELEGATION_DEPTH,
    ...(mtls === undefined ? {} : { mtls }),
    signInIdp: readSignInIdp(env, s, issuer, registrations.trustedIdps),
    cookieKeys: s.AS_COOKIE_KEYS.length > 0 ? s.AS_COOKIE_KEYS : [randomBytes(32).toString('base64url')],
    cookieKeysSource: s.AS_COOKIE_KEYS.length > 0 ? 'configured' : 'ephemeral',
    accessTokenLifetimeSeconds: s.ACCESS_TOKEN_LIFETIME_SECONDS,
    clockSkewSeconds: s.CLOCK_SKEW_SECONDS,
    maxIdJagLifetimeSeconds: s.MAX_ID_JAG_LIFETIME_SECONDS,
    replayStoreMaxEntries: s.REPLAY_STORE_MAX_ENTRIES,
    tokenRateLimitPerMinute: s.TOKEN_RATE_LIMIT_PER_MINUTE,
    demoAttacks: s.AS_DEMO_ATTACKS === 'true',
    demoClassic: s.DEMO_CLASSIC === 'true',
    demoReset: readDemoReset(env),
    ...signingKeys(env),
    logLevel: parseLogLevel(env.LOG_LEVEL),
    auditLog: parseAuditDestination(env.AUDIT_LOG),
    ...loadRuntimeConfig(env, `ema:as:${issuer}`), // decision 0040
  }
}

/**
 * The registrations: each list from its JSON variable, taken as given, else the demo world's (where
 * the agent CLI joins only the demo defaults, and the demo switches add their parties).
 */
function readRegistrations(env: Env, s: Settings, urls: ReadUrlOptions, mtls: boolean) {
  // Checked whenever set, even if CLIENTS replaces the defaults, so a private key in it never goes unnoticed (CL-49).
  const agentCliJwks = env.AGENT_CLI_JWKS?.trim() ? parsePublicJwks(env.AGENT_CLI_JWKS, 'AGENT_CLI_JWKS') : undefined
  const configured = {
    clients: readJson(env, 'CLIENTS', Clients) as RegisteredClient[] | undefined,
    trustedIdps: readJson(env, 'TRUSTED_IDPS', TrustedIdps),
    mcpServers: readJson(env, 'MCP_SERVERS', McpServers),
    downstreamApis: readJson(env, 'DOWNSTREAM_APIS', DownstreamApis),
  }
  const resource = () => readUrl(env, 'RS_RESOURCE', 'http://localhost:4003/mcp', urls)
  const clients = configured.clients ?? demoClients(env, s, resource(), mtls, agentCliJwks)
  const agentCli = configured.clients === undefined && agentCliJwks !== undefined
  return {
    clients,
    trustedIdps:
      configured.trustedIdps?.map((idp) => ({ ...idp, subject_namespace: idp.subject_namespace ?? idp.issuer })) ?? // AS-19: the issuer itself is unique
      demoTrustedIdps(readUrl(env, 'IDP_ISSUER', 'http://localhost:4001', urls), agentCli),
    mcpServers: configured.mcpServers ?? demoMcpServers(resource(), s.AS_DEMO_ATTACKS === 'true'),
    downstreamApis:
      configured.downstreamApis?.map((api) => ({
        ...api,
        scope_mapping: api.scope_mapping ?? identityMapping(api.scopes),
      })) ?? demoDownstreamApis(env.TASKS_API_URL ?? 'http://localhost:4004', clients),
    fromEnv: {
      clients: configured.clients !== undefined,
      trustedIdps: configured.trustedIdps !== undefined,
      downstreamApis: configured.downstreamApis !== undefined,
    },
  }
}

/** The demo clients: Acme Agent, the agent CLI (with AGENT_CLI_JWKS), the MCP server's OBO client, and the demo switches' clients. */
function demoClients(
  env: Env,
  s: Settings,
  resource: string,
  mtls: boolean,
  agentCliJwks: { keys: JWK[] } | undefined,
): RegisteredClient[] {
  return [
    {
      client_id: 'acme-agent-tasks',
      client_secret: 'acme-agent-as-secret',
      token_endpoint_auth_method: CLIENT_AUTH_METHOD.CLIENT_SECRET_BASIC,
    },
    // AS-08, AS-10: a program on a user's machine authenticates with a key pair, not a shared secret.
    ...(agentCliJwks === undefined
      ? []
      : [
          {
            client_id: DEMO.AGENT_CLI_CLIENT_ID,
            token_endpoint_auth_method: CLIENT_AUTH_METHOD.PRIVATE_KEY_JWT,
            jwks: agentCliJwks,
          },
        ]),
    mcpServerClient(resource, mtls),
    ...(s.AS_DEMO_ATTACKS === 'true' ? [{ ...DEMO_ATTACK_WORLD.OTHER_CLIENT }] : []),
    ...(s.DEMO_CLASSIC === 'true' ? [demoClassicClient(env.CLIENT_URL ?? 'http://localhost:3000')] : []),
  ]
}

/** AS-16: the demo IdP vouches for the demo's EMA clients, the CLI included when it is registered. */
function demoTrustedIdps(idpIssuer: string, agentCli: boolean): TrustedIdp[] {
  return [
    {
      issuer: idpIssuer,
      jwks_uri: `${idpIssuer.replace(/\/$/, '')}/jwks`,
      subject_namespace: DEMO.IDP_SUBJECT_NAMESPACE,
      client_ids: agentCli ? ['acme-agent-tasks', DEMO.AGENT_CLI_CLIENT_ID] : ['acme-agent-tasks'],
    },
  ]
}

/** Tasks, and with AS_DEMO_ATTACKS the second MCP server of the demo attack world. */
function demoMcpServers(resource: string, demoAttacks: boolean): McpServer[] {
  const { OTHER_MCP_SERVER } = DEMO_ATTACK_WORLD
  return [
    { resource, scopes: [...DEMO.RS_SCOPES] },
    ...(demoAttacks ? [{ resource: OTHER_MCP_SERVER.resource, scopes: [...OTHER_MCP_SERVER.scopes] }] : []),
  ]
}

/** The Tasks API: every scope to every client switched on for OBO, each scope mapped to itself. */
function demoDownstreamApis(identifier: string, clients: readonly RegisteredClient[]): DownstreamApi[] {
  return [
    {
      identifier,
      scopes: [...DEMO.TASKS_API_SCOPES],
      client_grants: clients
        .filter(isOnBehalfOfClient)
        .map((client) => ({ client_id: client.client_id, scopes: [...DEMO.TASKS_API_SCOPES] })),
      scope_mapping: identityMapping(DEMO.TASKS_API_SCOPES),
    },
  ]
}

/**
 * The MCP server's demo client (docs/demo-world.md): switched on for OBO, tied to the MCP server, and
 * authenticating with its certificate when the mTLS alias is served, else with its secret.
 */
function mcpServerClient(resource: string, mtls: boolean): RegisteredClient {
  return {
    client_id: DEMO.MCP_SERVER_CLIENT_ID,
    ...(mtls
      ? {
          token_endpoint_auth_method: CLIENT_AUTH_METHOD.TLS_CLIENT_AUTH,
          tls_client_auth_subject_dn: DEMO.MCP_SERVER_CLIENT_SUBJECT_DN,
        }
      : {
          token_endpoint_auth_method: CLIENT_AUTH_METHOD.CLIENT_SECRET_BASIC,
          client_secret: DEMO.MCP_SERVER_CLIENT_SECRET,
        }),
    token_exchange: { allow_any_profile_of_type: [TOKEN_EXCHANGE_PROFILE.ON_BEHALF_OF] },
    resource_server_identifier: resource,
  }
}

/** {@link DEMO_CLASSIC_CLIENT} as a registration, its redirect URI below the web app's URL. */
function demoClassicClient(clientUrl: string): RegisteredClient {
  const { redirectPath, ...registration } = DEMO_CLASSIC_CLIENT
  return { ...registration, redirect_uris: [`${clientUrl.replace(/\/$/, '')}${redirectPath}`] }
}

/** Each scope maps to itself. */
function identityMapping(scopes: readonly string[]): Record<string, string[]> {
  return Object.fromEntries(scopes.map((scope) => [scope, [scope]]))
}

/** `AS_SIGNING_KEYS`, `AS_SIGNING_KEYS_FILE` or `AS_SIGNING_KEY` (tokens' `signingKeysFromEnv`); none → main.ts generates one. */
function signingKeys(env: Env): Pick<AuthorizationServerConfig, 'signingKey' | 'signingKeys'> {
  const keys = signingKeysFromEnv(env, 'AS')
  return keys === undefined ? {} : { signingKey: keys[0]!, signingKeys: keys }
}

/**
 * Decision 0050: the IdP that signs users in for the authorization code flow. SIGN_IN_IDP_ISSUER
 * names one of the trusted IdPs (default: the first one); this server's redirect URI there is below its issuer.
 */
function readSignInIdp(env: Env, s: Settings, issuer: string, trustedIdps: readonly TrustedIdp[]): SignInIdp {
  const idpIssuer = env.SIGN_IN_IDP_ISSUER ?? trustedIdps[0]?.issuer
  if (idpIssuer === undefined || !trustedIdps.some((idp) => idp.issuer === idpIssuer)) {
    throw new TypeError(
      `SIGN_IN_IDP_ISSUER ${idpIssuer ?? '(none)'} is not a trusted IdP; name one of TRUSTED_IDPS (${trustedIdps.map((idp) => idp.issuer).join(', ')})`,
    )
  }
  return {
    issuer: idpIssuer,
    clientId: s.SIGN_IN_IDP_CLIENT_ID,
    clientSecret: s.SIGN_IN_IDP_CLIENT_SECRET,
    redirectUri: `${issuer.replace(/\/$/, '')}/interaction/callback`,
  }
}

/** RFC 8705 §5: AS_MTLS_CERT_FILE, AS_MTLS_KEY_FILE and AS_MTLS_CA_FILE switch the alias on, all three or none. */
function loadMtlsConfig(env: Env, urls: ReadUrlOptions): MtlsConfig | undefined {
  const files = {
    AS_MTLS_CERT_FILE: env.AS_MTLS_CERT_FILE,
    AS_MTLS_KEY_FILE: env.AS_MTLS_KEY_FILE,
    AS_MTLS_CA_FILE: env.AS_MTLS_CA_FILE,
  }
  const missing = Object.keys(files).filter((name) => !files[name as keyof typeof files])
  if (missing.length === 3) return undefined
  if (missing.length > 0)
    throw new TypeError(
      `the mTLS endpoint alias needs AS_MTLS_CERT_FILE, AS_MTLS_KEY_FILE and AS_MTLS_CA_FILE together; missing ${missing.join(', ')}`,
    )
  const url = readUrl(env, 'AS_MTLS_URL', 'https://localhost:4012', urls).replace(/\/$/, '')
  const parsed = new URL(url)
  if (parsed.protocol !== 'https:') throw new TypeError(`AS_MTLS_URL must be https (RFC 8705 needs TLS): ${url}`)
  if (parsed.search !== '' || parsed.pathname !== '/')
    throw new TypeError(`AS_MTLS_URL must be an origin without path, query or fragment: ${url}`)
  return {
    url,
    port: parsed.port === '' ? 443 : Number(parsed.port),
    certFile: files.AS_MTLS_CERT_FILE ?? '',
    keyFile: files.AS_MTLS_KEY_FILE ?? '',
    caFile: files.AS_MTLS_CA_FILE ?? '',
  }
}
