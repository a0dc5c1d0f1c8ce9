import {
  type AuditDestination,
  type DemoResetConfig,
  loadRuntimeConfig,
  type LogLevel,
  parseAuditDestination,
  parseLogLevel,
  readDemoReset,
  type RuntimeConfig,
} from '@ema/server-kit'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { assertTrustworthyUrl, parsePublicJwks, signingKeysFromEnv } from '@ema/tokens'
import type { JWK } from 'jose'
import { z } from 'zod'
import { loadDemoWorld } from './demo-world.ts'
import type { EnterprisePolicy } from './policy/enterprise-policy.ts'

/**
 * Configuration of "Acme SSO", the mock enterprise IdP.
 *
 * What a fork must change lives in two places: the URLs and secrets (the environment, read here),
 * and the demo world (apps/idp/demo-world.json, env `IDP_WORLD_FILE`): the directory of users, the
 * registered clients (plus any given in `IDP_CLIENTS`), the (audience, resource) pairs and the
 * administrator's policy. Values are the defaults of docs/demo-world.md.
 */

/** A person in the enterprise directory. `sub` is opaque and stable (IDP-23, IDP-40). */
export interface DirectoryUser {
  username: string
  /** Demo only: shown on the login page. A real IdP never stores or shows plain passwords. */
  password: string
  sub: string
  name: string
  email: string
  groups: string[]
  /** May use the admin console at `<issuer>/admin`. Gets no ID-JAG unless a rule allows it. */
  administrator?: boolean
}

/** A client registered at the IdP (OIDC sign-in and ID-JAG requests). Wire names are kept. */
export interface RegisteredClient {
  client_id: string
  client_secret?: string
  /** oidc-provider enforces the registered method per client; the server supports all four (IDP-09). */
  token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none'
  /** For `private_key_jwt`: the one JWS algorithm its client assertions may use (RFC 7591 §2). */
  token_endpoint_auth_signing_alg?: 'ES256'
  /**
   * OIDC Registration §2, default `web`. A `native` client may register `http` loopback redirect URIs,
   * and oidc-provider then accepts them on any port (RFC 8252 §7.3).
   */
  application_type?: 'web' | 'native'
  redirect_uris: string[]
  /** Public keys for `private_key_jwt`. */
  jwks?: { keys: JWK[] }
  /**
   * IDP-21: the identifier this client has at each MCP authorization server, keyed by that
   * server's issuer. It goes into the ID-JAG's `client_id`.
   */
  clientIdAtAuthorizationServer: Record<string, string>
}

/** An MCP server (protected resource) and the scopes it defines. */
export interface McpServer {
  /** The resource identifier (RFC 8707, IDP-44). */
  resource: string
  /** A name for people, used in error descriptions and logs. */
  name: string
  scopes: string[]
}

/** IDP-14: an MCP authorization server (an allowed `audience`) and the MCP servers it governs. */
export interface AuthorizationServer {
  issuer: string
  resources: McpServer[]
}

/**
 * With `REDIS_URL`, sessions, interactions, grants, codes, refresh tokens and rate-limit windows live in
 * Redis, shared by every instance and kept across restarts (decision 0040; `REDIS_KEY_PREFIX` default
 * `ema:idp:<issuer>`).
 */
export interface IdpConfig extends RuntimeConfig {
  /** The enterprise, named in policy refusals. Default "Acme". */
  organizationName: string
  /** This IdP's issuer identifier (IDP-39). Env `IDP_ISSUER`, default `http://localhost:4001`. */
  issuer: string
  /** Port to listen on. Env `IDP_PORT`, default: the port of the issuer URL. */
  port: number
  /** Plain http to loopback hosts is refused unless `ALLOW_INSECURE_HTTP=true`. */
  allowInsecureHttp: boolean
  /** Env `LOG_LEVEL`: `debug`, `info` (default), `warn` or `error`. */
  logLevel: LogLevel
  /**
   * The keys that sign ID tokens and ID-JAGs, all published at /jwks; the first signs (rotation:
   * docs/deployment.md). Env `IDP_SIGNING_KEYS` (a JWK Set of private keys), or `IDP_SIGNING_KEYS_FILE`
   * (the path of a file holding one), or `IDP_SIGNING_KEY` (one private JWK). Every instance of one
   * deployment must have the same keys. Absent → one generated at start-up (loud warning).
   */
  signingKeyJwks: JWK[] | undefined
  /** Env `IDP_COOKIE_KEYS` (comma-separated). Absent → random keys, sessions die with the process. */
  cookieKeys: string[]
  cookieKeysSource: 'configured' | 'ephemeral'
  /** IDP-34, IDP-48: lifetime of an ID-JAG. Default 300 s. */
  idJagLifetimeSeconds: number
  /** Clock skew tolerated when validating a subject ID token (IDP-05). Default 30 s. */
  clockSkewSeconds: number
  /**
   * IDP-27, SEC-07: token requests per client (or per address) per minute; over it → 429.
   * Env `TOKEN_RATE_LIMIT_PER_MINUTE`, default 600; `0` switches the limit off.
   */
  tokenRateLimitPerMinute: number
  /**
   * Env `IDP_DEMO_ATTACKS=true` (`npm start` and the browser tests set it; off by default): the demo
   * world also knows {@link DEMO_ATTACK_WORLD} (a second MCP server at the MCP authorization server, a
   * partner authorization server, a Tasks scope no group is granted), and the token exchange accepts
   * the demo-only parameter {@link DEMO_EXPIRED_PARAMETER}. This lets the client app's "Break it" panel
   * obtain, as an attacker could, the signed artefacts it cannot make itself. Logged loudly.
   */
  demoAttacks: boolean
  /**
   * DEMO_RESET=true with DEMO_RESET_SECRET (`npm start` and the browser tests; off by default): `POST
   * /demo/reset` puts the demo policy back in force, as the admin console's reset does. Undefined when off.
   */
  demoReset: DemoResetConfig | undefined
  users: DirectoryUser[]
  clients: RegisteredClient[]
  authorizationServers: AuthorizationServer[]
  /**
   * IDP-13 … IDP-17: the demo policy of the chosen variant, as the data file gives it. The policy in
   * force (edited in the admin console, kept in `policyStateFile`) starts from it, and a reset returns to it.
   */
  policy: EnterprisePolicy
  /** Env `IDP_DEMO_POLICY`: `default`, or a name under `policyVariants` in the data file (`step-up`). */
  policyVariant: string
  /** Env `IDP_WORLD_FILE`, default apps/idp/demo-world.json: the data file the demo world was read from. */
  worldFile: string
  /**
   * Env `IDP_POLICY_STATE_FILE`: where admin edits are kept across restarts. Default
   * `<repo>/.demo/idp-policy.json` (`idp-policy.<variant>.json` for another variant); `off` → kept in memory only.
   */
  policyStateFile: string | undefined
  /** Env `AUDIT_LOG`: `stdout` (default), `off`, or a file of JSON lines. */
  auditLog: AuditDestination
  /**
   * Env `ACCESS_TOKEN_LIFETIME_SECONDS` (the authorization server's variable of the same name), default
   * 600: shown in the admin console as how long an access token outlives a revocation. Not enforced here.
   */
  accessTokenLifetimeSeconds: number
}

export type Env = Record<string, string | undefined>

const DEFAULTS = {
  IDP_ISSUER: 'http://localhost:4001',
  AS_ISSUER: 'http://localhost:4002',
  RS_RESOURCE: 'http://localhost:4003/mcp',
  CLIENT_URL: 'http://localhost:3000',
  ACME_AGENT_IDP_SECRET: 'acme-agent-idp-secret',
  TOKEN_RATE_LIMIT_PER_MINUTE: 600,
} as const

/** The redirect URI of the agent CLI: the loopback interface, any port (RFC 8252 §7.3). */
export const AGENT_CLI_REDIRECT_URI = 'http://127.0.0.1/callback'

/**
 * What `IDP_DEMO_ATTACKS=true` adds to the demo world (docs/demo-world.md, "Break it"). None of these
 * servers runs: they are names the IdP issues ID-JAGs for, so that the client app can show the MCP
 * authorization server and the MCP server refusing them.
 */
export const DEMO_ATTACK_WORLD = {
  /** A second MCP server governed by the same authorization server (its access tokens must not work at Tasks). */
  OTHER_MCP_SERVER: { resource: 'https://calendar.acme.example/mcp', name: 'Calendar', scopes: ['calendar.read'] },
  /** A partner's authorization server (its ID-JAGs must not work at ours, AS-17), and the MCP server it governs. */
  OTHER_AUTHORIZATION_SERVER: {
    issuer: 'https://as.partner.example',
    resource: 'https://files.partner.example/mcp',
    name: 'Partner Files',
    scopes: ['files.read'],
    clientId: 'acme-agent-partner',
  },
  /** A Tasks scope the administrator defined but grants to no group (a request for it is refused, IDP-13). */
  UNGRANTED_TASKS_SCOPE: 'tasks.admin',
} as const

/**
 * The demo-only token exchange parameter (with `IDP_DEMO_ATTACKS=true` only): `demo_expired=true`
 * issues the ID-JAG as if 15 minutes ago, so that it has already expired, as one kept that long would
 * have. Without the flag oidc-provider strips it like any unknown parameter.
 */
export const DEMO_EXPIRED_PARAMETER = 'demo_expired'

/**
 * IDP_DEMO_ATTACKS=true: the demo world gains {@link DEMO_ATTACK_WORLD} (Tasks defines `tasks.admin`,
 * which no rule grants; Calendar beside Tasks; the partner's authorization server, to which Acme Agent
 * is mapped too, IDP-21) and the policy rules that let engineering and sales reach them.
 */
function withDemoAttackWorld(
  world: { clients: RegisteredClient[]; authorizationServers: AuthorizationServer[] },
  policy: EnterprisePolicy,
  urls: { asIssuer: string; rsResource: string },
) {
  const { OTHER_MCP_SERVER: other, OTHER_AUTHORIZATION_SERVER: partner, UNGRANTED_TASKS_SCOPE } = DEMO_ATTACK_WORLD
  const clients = world.clients.map((client) =>
    client.client_id !== 'acme-agent'
      ? client
      : {
          ...client,
          clientIdAtAuthorizationServer: {
            ...client.clientIdAtAuthorizationServer,
            [partner.issuer]: partner.clientId,
          },
        },
  )
  const authorizationServers: AuthorizationServer[] = [
    ...world.authorizationServers.map((as) =>
      as.issuer !== urls.asIssuer
        ? as
        : {
            ...as,
            resources: [
              ...as.resources.map((server) =>
                server.resource !== urls.rsResource
                  ? server
                  : { ...server, scopes: [...server.scopes, UNGRANTED_TASKS_SCOPE] },
              ),
              { ...other, scopes: [...other.scopes] },
            ],
          },
    ),
    {
      issuer: partner.issuer,
      resources: [{ resource: partner.resource, name: partner.name, scopes: [...partner.scopes] }],
    },
  ]
  const rule = (id: string, audience: string, resource: string, scopes: readonly string[]) => ({
    id,
    description: 'IDP_DEMO_ATTACKS: engineering and sales reach the demo attack world',
    effect: 'allow' as const,
    subject: '*',
    client: '*',
    audience,
    resource,
    scopes: [...scopes],
  })
  return {
    clients,
    authorizationServers,
    policy: {
      ...policy,
      rules: [
        ...policy.rules,
        rule('demo-attacks-calendar', urls.asIssuer, other.resource, other.scopes),
        rule('demo-attacks-partner', partner.issuer, partner.resource, partner.scopes),
      ],
    },
  }
}

/** The data file of the demo world (a fork edits it, or points `IDP_WORLD_FILE` at its own). */
export const DEFAULT_WORLD_FILE = fileURLToPath(new URL('../demo-world.json', import.meta.url))
/** Where admin edits are kept by default: the repository's git-ignored `.demo/` folder. */
const DEMO_STATE_FOLDER = fileURLToPath(new URL('../../../.demo/', import.meta.url))

const Url = z.url({ protocol: /^https?$/ })
const EnvSchema = z.object({
  IDP_ISSUER: Url.default(DEFAULTS.IDP_ISSUER),
  AS_ISSUER: Url.default(DEFAULTS.AS_ISSUER),
  RS_RESOURCE: Url.default(DEFAULTS.RS_RESOURCE),
  CLIENT_URL: Url.default(DEFAULTS.CLIENT_URL),
  IDP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  ALLOW_INSECURE_HTTP: z.string().optional(),
  ACME_AGENT_IDP_SECRET: z.string().min(1).default(DEFAULTS.ACME_AGENT_IDP_SECRET),
  IDP_SIGNING_KEY: z.string().min(1).optional(),
  IDP_CLIENTS: z.string().optional(),
  IDP_COOKIE_KEYS: z.string().min(1).optional(),
  TOKEN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(DEFAULTS.TOKEN_RATE_LIMIT_PER_MINUTE),
  AGENT_CLI_JWKS: z.string().optional(),
  IDP_DEMO_ATTACKS: z.string().optional(),
  IDP_WORLD_FILE: z.string().min(1).optional(),
  IDP_DEMO_POLICY: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be "default" or a variant name of the data file')
    .default('default'),
  IDP_POLICY_STATE_FILE: z.string().min(1).optional(),
  ACCESS_TOKEN_LIFETIME_SECONDS: z.coerce.number().int().min(1).default(600),
})

/** Reads and validates configuration. Throws a TypeError naming the variable at fault. */
export function loadConfig(env: Env): IdpConfig {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new TypeError(`invalid configuration ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'unknown'}`)
  }
  const e = parsed.data
  // Issuer identifiers are compared exactly (RFC 8414 §3.3), so they are kept exactly as configured:
  // AS_ISSUER must be the authorization server's `issuer` to the byte, trailing slash and all (IDP-03).
  const issuer = e.IDP_ISSUER
  if (issuer.endsWith('/')) {
    throw new TypeError(
      `IDP_ISSUER=${issuer} ends with "/": oidc-provider serves its endpoints below the issuer, so give it without the trailing slash`,
    )
  }
  const asIssuer = e.AS_ISSUER
  const clientUrl = e.CLIENT_URL.replace(/\/$/, '')
  const allowInsecureHttp = e.ALLOW_INSECURE_HTTP === 'true'
  for (const [name, value] of [
    ['IDP_ISSUER', issuer],
    ['AS_ISSUER', asIssuer],
    ['RS_RESOURCE', e.RS_RESOURCE],
    ['CLIENT_URL', clientUrl],
  ] as const) {
    try {
      assertTrustworthyUrl(new URL(value), allowInsecureHttp)
    } catch (cause) {
      throw new TypeError(
        `${name}=${value} is plain http: set ALLOW_INSECURE_HTTP=true for a local demo, or use https`,
        { cause },
      )
    }
  }
  // Env `AGENT_CLI_JWKS`: the public keys of the "Acme Agent CLI". Absent or empty → it is not registered.
  const agentCliJwks =
    e.AGENT_CLI_JWKS === undefined || e.AGENT_CLI_JWKS.trim() === ''
      ? undefined
      : parsePublicJwks(e.AGENT_CLI_JWKS, 'AGENT_CLI_JWKS')
  const demoAttacks = e.IDP_DEMO_ATTACKS === 'true'
  const cookieKeys = e.IDP_COOKIE_KEYS?.split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '')
  const worldFile = e.IDP_WORLD_FILE ?? DEFAULT_WORLD_FILE
  const world = loadDemoWorld(worldFile, {
    label: e.IDP_WORLD_FILE === undefined ? 'apps/idp/demo-world.json' : `IDP_WORLD_FILE ${worldFile}`,
    settings: {
      IDP_ISSUER: issuer,
      AS_ISSUER: asIssuer,
      RS_RESOURCE: e.RS_RESOURCE,
      CLIENT_URL: clientUrl,
      ACME_AGENT_IDP_SECRET: e.ACME_AGENT_IDP_SECRET,
    },
    jwkSets: { AGENT_CLI_JWKS: agentCliJwks },
    parseClients: (value, label) => parseClientRegistrations(value, label, allowInsecureHttp),
  })
  const policy = world.policies[e.IDP_DEMO_POLICY]
  if (policy === undefined) {
    throw new TypeError(
      `IDP_DEMO_POLICY=${e.IDP_DEMO_POLICY} is not a policy of the data file; choose one of ${Object.keys(world.policies).join(', ')}`,
    )
  }
  // IDP_DEMO_ATTACKS=true adds the demo attack world (docs/demo-world.md, "Break it") to the data file's.
  const demo = demoAttacks
    ? withDemoAttackWorld(world, policy, { asIssuer, rsResource: e.RS_RESOURCE })
    : { clients: world.clients, authorizationServers: world.authorizationServers, policy }
  const policyStateFile =
    e.IDP_POLICY_STATE_FILE === 'off'
      ? undefined
      : (e.IDP_POLICY_STATE_FILE ??
        `${DEMO_STATE_FOLDER}idp-policy${e.IDP_DEMO_POLICY === 'default' ? '' : `.${e.IDP_DEMO_POLICY}`}.json`)
  return {
    organizationName: world.organizationName,
    issuer,
    port: e.IDP_PORT ?? portOf(new URL(issuer)),
    allowInsecureHttp,
    logLevel: parseLogLevel(env.LOG_LEVEL),
    // IDP_SIGNING_KEY keeps its older, stricter parse (kty + d, alg ES256 by default).
    signingKeyJwks:
      e.IDP_SIGNING_KEY !== undefined && env.IDP_SIGNING_KEYS === undefined && env.IDP_SIGNING_KEYS_FILE === undefined
        ? [parseJwk(e.IDP_SIGNING_KEY)]
        : signingKeysFromEnv(env, 'IDP'),
    ...loadRuntimeConfig(env, `ema:idp:${issuer}`), // decision 0040
    cookieKeys:
      cookieKeys !== undefined && cookieKeys.length > 0 ? cookieKeys : [randomBytes(32).toString('base64url')],
    cookieKeysSource: cookieKeys !== undefined && cookieKeys.length > 0 ? 'configured' : 'ephemeral',
    idJagLifetimeSeconds: 300,
    clockSkewSeconds: 30,
    tokenRateLimitPerMinute: e.TOKEN_RATE_LIMIT_PER_MINUTE,
    demoAttacks,
    demoReset: readDemoReset(env),
    users: requireUniqueSubjects(world.users),
    clients: requireUniqueClientIds([...demo.clients, ...parseIdpClients(e.IDP_CLIENTS, allowInsecureHttp)]),
    authorizationServers: demo.authorizationServers,
    policy: demo.policy,
    policyVariant: e.IDP_DEMO_POLICY,
    worldFile,
    policyStateFile,
    auditLog: parseAuditDestination(env.AUDIT_LOG),
    accessTokenLifetimeSeconds: e.ACCESS_TOKEN_LIFETIME_SECONDS,
  }
}

function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port)
  return url.protocol === 'https:' ? 443 : 80
}

const PrivateJwk = z.looseObject({ kty: z.string(), d: z.string(), alg: z.string().optional() })

function parseJwk(json: string): JWK {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (cause) {
    throw new TypeError('IDP_SIGNING_KEY is not valid JSON; expected a private JWK', { cause })
  }
  const jwk = PrivateJwk.safeParse(value)
  if (!jwk.success) throw new TypeError('IDP_SIGNING_KEY must be a private JWK (with "kty" and "d")')
  return { alg: 'ES256', ...jwk.data }
}

/**
 * IDP-23: `sub` must be unique within this issuer, and a username must name one person. A directory
 * that breaks either is a configuration error, not something to discover at sign-in.
 */
export function requireUniqueSubjects(users: DirectoryUser[]): DirectoryUser[] {
  for (const key of ['sub', 'username'] as const) {
    const seen = new Set<string>()
    for (const user of users) {
      if (seen.has(user[key]))
        throw new TypeError(`the directory lists ${key} "${user[key]}" twice; each ${key} must name one user (IDP-23)`)
      seen.add(user[key])
    }
  }
  return users
}

/** RFC 8252 §7.3: loopback IP literals; a native client may register plain http to them. */
const LOOPBACK_IP = /^(127(?:\.\d{1,3}){3}|\[::1\])$/

/** One entry of `IDP_CLIENTS`: the fields of {@link RegisteredClient}, with its wire names. */
const IdpClient = z
  .object({
    client_id: z.string().min(1),
    client_secret: z.string().min(1).optional(),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']),
    token_endpoint_auth_signing_alg: z.literal('ES256').optional(),
    application_type: z.enum(['web', 'native']).optional(),
    // Every client signs users in (code + PKCE), so it needs somewhere to be sent back to.
    redirect_uris: z.array(z.url()).min(1, 'redirect_uris must name at least one redirect URI'),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
    /** IDP-21: this client's id at each MCP authorization server, by issuer. Absent → none: it may sign in, not exchange. */
    clientIdAtAuthorizationServer: z.record(z.url(), z.string().min(1)).optional(),
  })
  .strict()
  .superRefine((client, ctx) => {
    const method = client.token_endpoint_auth_method
    const usesSecret = method === 'client_secret_basic' || method === 'client_secret_post'
    // IDP-09: the registered method is the one oidc-provider enforces, so its credential must be there.
    if (usesSecret && client.client_secret === undefined)
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: `${method} needs client_secret` })
    if (!usesSecret && client.client_secret !== undefined)
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: `a ${method} client has no client_secret` })
    if (method === 'private_key_jwt' && client.jwks === undefined)
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'private_key_jwt needs jwks (public keys)' })
    if (method !== 'private_key_jwt' && client.jwks !== undefined)
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'jwks is only for private_key_jwt' })
    if (method !== 'private_key_jwt' && client.token_endpoint_auth_signing_alg !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['token_endpoint_auth_signing_alg'],
        message: 'token_endpoint_auth_signing_alg is only for private_key_jwt',
      })
    }
  })

/**
 * Env `IDP_CLIENTS`: a JSON array of further client registrations, each with the fields of
 * {@link RegisteredClient}, added to the demo clients (a test configuration registers the clients
 * a test suite brings with it this way, so they never become demo defaults). Absent or empty → none.
 *
 * Refused at start-up, with a TypeError naming `IDP_CLIENTS` and the entry: not JSON, a field
 * missing, unknown or of the wrong type, a credential that does not fit the method (IDP-09), a
 * private key in `jwks` (CL-49), or a redirect URI that is plain http where it may not be (SEC-01:
 * https, or http to a loopback host with ALLOW_INSECURE_HTTP=true; a `native` client may use http to
 * a loopback IP literal regardless, RFC 8252 §7.3, §8.3). Error messages never echo a value.
 */
export function parseIdpClients(json: string | undefined, allowInsecureHttp: boolean): RegisteredClient[] {
  if (json === undefined || json.trim() === '') return []
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (cause) {
    throw new TypeError('IDP_CLIENTS is not valid JSON; expected an array of client registrations', { cause })
  }
  return parseClientRegistrations(value, 'IDP_CLIENTS', allowInsecureHttp)
}

/**
 * Client registrations with the fields of {@link RegisteredClient} (IDP_CLIENTS, the data file's
 * `clients`), checked as described at {@link parseIdpClients}. `label` names the source in errors
 * (`IDP_CLIENTS`, `apps/idp/demo-world.json at clients`).
 */
export function parseClientRegistrations(
  value: unknown,
  label: string,
  allowInsecureHttp: boolean,
): RegisteredClient[] {
  // `IDP_CLIENTS at 0.jwks`, or `apps/idp/demo-world.json at clients.0.jwks` for a label that has a path already.
  const at = (path: string) => (label.includes(' at ') ? `${label}.${path}` : `${label} at ${path}`)
  const parsed = z.array(IdpClient).safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue !== undefined && issue.path.length > 0 ? at(issue.path.join('.')) : label
    throw new TypeError(`invalid ${where}: ${issue?.message ?? 'invalid value'}`)
  }
  return parsed.data.map((client, index) => {
    for (const uri of client.redirect_uris)
      requireSafeRedirectUri(new URL(uri), client.application_type, allowInsecureHttp, at(`${index}.redirect_uris`))
    const { jwks, clientIdAtAuthorizationServer, ...rest } = client
    return {
      ...rest,
      // CL-49: public keys only; a private member is refused, never stripped.
      ...(jwks === undefined ? {} : { jwks: parsePublicJwks(JSON.stringify(jwks), at(`${index}.jwks`)) }),
      clientIdAtAuthorizationServer: clientIdAtAuthorizationServer ?? {}, // IDP-21
    }
  })
}

function requireSafeRedirectUri(
  url: URL,
  applicationType: 'web' | 'native' | undefined,
  allowInsecureHttp: boolean,
  where: string,
): void {
  if (applicationType === 'native' && url.protocol === 'http:' && LOOPBACK_IP.test(url.hostname)) return
  try {
    assertTrustworthyUrl(url, allowInsecureHttp)
  } catch (cause) {
    throw new TypeError(
      `${where}: ${url.protocol}//${url.host} is plain http: use https, a native client's loopback IP literal, or set ALLOW_INSECURE_HTTP=true for a local demo (loopback hosts only)`,
      { cause },
    )
  }
}

/** Each client_id names one registration: a repeated one (a demo client included) is a start-up error. */
export function requireUniqueClientIds(clients: RegisteredClient[]): RegisteredClient[] {
  const seen = new Set<string>()
  for (const client of clients) {
    if (seen.has(client.client_id))
      throw new TypeError(
        `client_id "${client.client_id}" is registered twice (IDP_CLIENTS repeats it or a demo client's id); each client_id must name one client`,
      )
    seen.add(client.client_id)
  }
  return clients
}
