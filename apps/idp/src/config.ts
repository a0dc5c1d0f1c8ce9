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
  type RuntimeConfig,
} from '@ema/server-kit'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { type ClientAuthMethodName, parsePublicJwks, signingKeysFromEnv } from '@ema/tokens'
import type { JWK } from 'jose'
import { z } from 'zod'
import { parseClientRegistrations, requireUniqueClientIds } from './client-registrations.ts'
import { withDemoAttackWorld } from './demo-attack-world.ts'
import { loadDemoWorld } from './demo-world.ts'
import type { EnterprisePolicy } from './policy/enterprise-policy.ts'

export type { Env }

/**
 * Configuration of "Acme SSO", the mock enterprise IdP.
 *
 * What a fork must change lives in two places: the URLs and secrets (the environment, read here),
 * and the demo world (apps/idp/demo-world.json, env `IDP_WORLD_FILE`): the directory of users, the
 * registered clients (plus any given in `IDP_CLIENTS`), the (audience, resource) pairs and the
 * administrator's policy. Each field names its variable, its default and why; the defaults are the
 * demo world (docs/demo-world.md). Only main.ts passes `process.env`.
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
  token_endpoint_auth_method: Exclude<ClientAuthMethodName, 'tls_client_auth'>
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
  /** The enterprise, named in policy refusals: the data file's `organizationName` ("Acme"). */
  organizationName: string
  /** This IdP's issuer identifier (IDP-39). Env `IDP_ISSUER`, default `http://localhost:4001`. */
  issuer: string
  /** Env `IDP_PORT`, default the port of the issuer URL (behind a proxy they differ). */
  port: number
  /** Env `ALLOW_INSECURE_HTTP=true`: plain http to loopback hosts (decision 0024). Default off: https only. */
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
  /** Env `IDP_COOKIE_KEYS` (comma-separated). Absent → random keys, sessions die with the process (warned). */
  cookieKeys: string[]
  /** `ephemeral` when IDP_COOKIE_KEYS is not set. */
  cookieKeysSource: 'configured' | 'ephemeral'
  /** IDP-34, IDP-48: lifetime of an ID-JAG, 300 s: short, as it is redeemed at once. Fixed. */
  idJagLifetimeSeconds: number
  /** IDP-05: clock skew tolerated when validating a subject ID token, 30 s. Fixed. */
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
  /** IDP-23: the directory, from the data file (`IDP_WORLD_FILE`). */
  users: DirectoryUser[]
  /**
   * The registered clients: the data file's (with `ACME_AGENT_IDP_SECRET`, default `acme-agent-idp-secret`,
   * and the agent CLI when `AGENT_CLI_JWKS` gives its public keys), plus env `IDP_CLIENTS` (a JSON array
   * of registrations, for the clients a test suite brings) (see `parseClientRegistrations`).
   */
  clients: RegisteredClient[]
  /** IDP-14: the MCP authorization servers (allowed audiences) and their MCP servers, from the data file. */
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

/** The data file of the demo world (a fork edits it, or points `IDP_WORLD_FILE` at its own). */
export const DEFAULT_WORLD_FILE = fileURLToPath(new URL('../demo-world.json', import.meta.url))
/** Where admin edits are kept by default: the repository's git-ignored `.demo/` folder. */
const DEMO_STATE_FOLDER = fileURLToPath(new URL('../../../.demo/', import.meta.url))

/** The settings that are not URLs (those are read with server-kit's `readUrl`, the one insecure-http rule). */
const Settings = z.object({
  ACME_AGENT_IDP_SECRET: z.string().min(1).default('acme-agent-idp-secret'),
  IDP_COOKIE_KEYS: z
    .string()
    .optional()
    .transform((keys) => (keys ?? '').split(',').flatMap((key) => (key.trim() === '' ? [] : [key.trim()]))),
  TOKEN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  IDP_DEMO_ATTACKS: z.string().optional(),
  IDP_WORLD_FILE: z.string().min(1).optional(),
  IDP_DEMO_POLICY: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be "default" or a variant name of the data file')
    .default('default'),
  IDP_POLICY_STATE_FILE: z.string().min(1).optional(),
  ACCESS_TOKEN_LIFETIME_SECONDS: z.coerce.number().int().min(1).default(600),
})

/** Reads and checks the configuration. @throws {TypeError} one line naming the variable at fault. */
export function loadConfig(env: Env): IdpConfig {
  const parsed = Settings.safeParse(env)
  if (!parsed.success) throw new TypeError(firstIssue(parsed.error))
  const e = parsed.data
  const allowInsecureHttp = env.ALLOW_INSECURE_HTTP === 'true'
  const urls = demoUrls(env, allowInsecureHttp)
  const world = readWorld(env, e, urls, allowInsecureHttp)
  return {
    organizationName: world.organizationName,
    issuer: urls.IDP_ISSUER,
    port: readPort(env, 'IDP_PORT', urls.IDP_ISSUER),
    allowInsecureHttp,
    logLevel: parseLogLevel(env.LOG_LEVEL),
    signingKeyJwks: signingKeysFromEnv(env, 'IDP'),
    ...loadRuntimeConfig(env, `ema:idp:${urls.IDP_ISSUER}`), // decision 0040
    cookieKeys: e.IDP_COOKIE_KEYS.length > 0 ? e.IDP_COOKIE_KEYS : [randomBytes(32).toString('base64url')],
    cookieKeysSource: e.IDP_COOKIE_KEYS.length > 0 ? 'configured' : 'ephemeral',
    idJagLifetimeSeconds: 300,
    clockSkewSeconds: 30,
    tokenRateLimitPerMinute: e.TOKEN_RATE_LIMIT_PER_MINUTE,
    demoAttacks: e.IDP_DEMO_ATTACKS === 'true',
    demoReset: readDemoReset(env),
    users: world.users,
    clients: world.clients,
    authorizationServers: world.authorizationServers,
    policy: world.policy,
    policyVariant: e.IDP_DEMO_POLICY,
    worldFile: e.IDP_WORLD_FILE ?? DEFAULT_WORLD_FILE,
    policyStateFile: policyStateFile(e.IDP_POLICY_STATE_FILE, e.IDP_DEMO_POLICY),
    auditLog: parseAuditDestination(env.AUDIT_LOG),
    accessTokenLifetimeSeconds: e.ACCESS_TOKEN_LIFETIME_SECONDS,
  }
}

/**
 * The demo world: the data file (env `IDP_WORLD_FILE`, default apps/idp/demo-world.json) with the
 * policy variant `IDP_DEMO_POLICY`, plus {@link withDemoAttackWorld} with `IDP_DEMO_ATTACKS=true`, plus
 * the clients of env `IDP_CLIENTS`.
 */
function readWorld(
  env: Env,
  e: z.output<typeof Settings>,
  urls: ReturnType<typeof demoUrls>,
  allowInsecureHttp: boolean,
) {
  const world = loadDemoWorld(e.IDP_WORLD_FILE ?? DEFAULT_WORLD_FILE, {
    label: e.IDP_WORLD_FILE === undefined ? 'apps/idp/demo-world.json' : `IDP_WORLD_FILE ${e.IDP_WORLD_FILE}`,
    settings: { ...urls, ACME_AGENT_IDP_SECRET: e.ACME_AGENT_IDP_SECRET },
    // Env `AGENT_CLI_JWKS`: the public keys of the "Acme Agent CLI". Absent or empty → it is not registered.
    jwkSets: {
      AGENT_CLI_JWKS: env.AGENT_CLI_JWKS?.trim() ? parsePublicJwks(env.AGENT_CLI_JWKS, 'AGENT_CLI_JWKS') : undefined,
    },
    parseClients: (value, label) => parseClientRegistrations(value, label, allowInsecureHttp),
  })
  const policy = world.policies[e.IDP_DEMO_POLICY]
  if (policy === undefined)
    throw new TypeError(
      `IDP_DEMO_POLICY=${e.IDP_DEMO_POLICY} is not a policy of the data file; choose one of ${Object.keys(world.policies).join(', ')}`,
    )
  const demo =
    e.IDP_DEMO_ATTACKS === 'true'
      ? withDemoAttackWorld(world, policy, { asIssuer: urls.AS_ISSUER, rsResource: urls.RS_RESOURCE })
      : { clients: world.clients, authorizationServers: world.authorizationServers, policy }
  const extraClients = readJson(env, 'IDP_CLIENTS', z.unknown())
  return {
    organizationName: world.organizationName,
    users: requireUniqueSubjects(world.users),
    clients: requireUniqueClientIds([
      ...demo.clients,
      ...(extraClients === undefined ? [] : parseClientRegistrations(extraClients, 'IDP_CLIENTS', allowInsecureHttp)),
    ]),
    authorizationServers: demo.authorizationServers,
    policy: demo.policy,
  }
}

/**
 * The URLs the data file's `${…}` placeholders name, with the demo world's defaults. Issuer
 * identifiers are compared exactly (RFC 8414 §3.3), so they are kept as configured: AS_ISSUER must be
 * the authorization server's `issuer` to the byte, trailing slash and all (IDP-03).
 */
function demoUrls(env: Env, allowInsecureHttp: boolean) {
  const issuer = readUrl(env, 'IDP_ISSUER', 'http://localhost:4001', { allowInsecureHttp })
  if (issuer.endsWith('/'))
    throw new TypeError(
      `IDP_ISSUER=${issuer} ends with "/": oidc-provider serves its endpoints below the issuer, so give it without the trailing slash`,
    )
  return {
    IDP_ISSUER: issuer,
    AS_ISSUER: readUrl(env, 'AS_ISSUER', 'http://localhost:4002', { allowInsecureHttp }),
    RS_RESOURCE: readUrl(env, 'RS_RESOURCE', 'http://localhost:4003/mcp', { allowInsecureHttp }),
    CLIENT_URL: readUrl(env, 'CLIENT_URL', 'http://localhost:3000', { allowInsecureHttp }).replace(/\/$/, ''),
  }
}

/** Env `IDP_POLICY_STATE_FILE`; `off` → none (admin edits in memory only); default below `.demo/`, one file per variant. */
function policyStateFile(configured: string | undefined, variant: string): string | undefined {
  if (configured === 'off') return undefined
  return configured ?? `${DEMO_STATE_FOLDER}idp-policy${variant === 'default' ? '' : `.${variant}`}.json`
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
