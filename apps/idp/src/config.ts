import { loadRuntimeConfig, type LogLevel, parseLogLevel, type RuntimeConfig } from '@ema/server-kit'
import { randomBytes } from 'node:crypto'
import { assertTrustworthyUrl, parsePublicJwks, signingKeysFromEnv } from '@ema/tokens'
import type { JWK } from 'jose'
import { z } from 'zod'

/**
 * Configuration of "Acme SSO", the mock enterprise IdP.
 *
 * Everything a fork must change lives in this file: the URLs (from the environment), the
 * directory of users (`demoDirectory`), the registered clients (`demoClients`, plus any given in
 * `IDP_CLIENTS`) and the administrator's policy (`demoPolicy`). Values are the defaults of
 * docs/demo-world.md.
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

/** IDP-13, IDP-17: members of `group` may obtain at most `scopes` for `resource`. */
export interface GroupPolicy {
  group: string
  resource: string
  scopes: string[]
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
  users: DirectoryUser[]
  clients: RegisteredClient[]
  authorizationServers: AuthorizationServer[]
  policy: GroupPolicy[]
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

/** The users of Acme (docs/demo-world.md). A fork replaces this with its own directory. */
export function demoDirectory(): DirectoryUser[] {
  return [
    {
      username: 'alice',
      password: 'alice-password',
      sub: 'u-1001',
      name: 'Alice Anderson',
      email: 'alice@acme.example',
      groups: ['engineering'],
    },
    {
      username: 'bob',
      password: 'bob-password',
      sub: 'u-1002',
      name: 'Bob Brown',
      email: 'bob@acme.example',
      groups: ['sales'],
    },
    {
      username: 'carol',
      password: 'carol-password',
      sub: 'u-1003',
      name: 'Carol Clark',
      email: 'carol@acme.example',
      groups: [],
    },
  ]
}

/** The redirect URI of the agent CLI: the loopback interface, any port (RFC 8252 §7.3). */
export const AGENT_CLI_REDIRECT_URI = 'http://127.0.0.1/callback'

/**
 * The clients the enterprise registered (and pre-approved) at its IdP: the web app "Acme Agent",
 * and, when its public keys are configured, the headless "Acme Agent CLI".
 */
export function demoClients(urls: {
  clientUrl: string
  asIssuer: string
  acmeAgentSecret: string
  agentCliJwks?: { keys: JWK[] } | undefined
}): RegisteredClient[] {
  const clients: RegisteredClient[] = [
    {
      client_id: 'acme-agent',
      client_secret: urls.acmeAgentSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [`${urls.clientUrl}/callback`],
      clientIdAtAuthorizationServer: { [urls.asIssuer]: 'acme-agent-tasks' }, // IDP-21
    },
  ]
  if (urls.agentCliJwks !== undefined) {
    clients.push({
      client_id: 'acme-agent-cli',
      // CL-28, CL-49: a program on a user's machine holds no shared secret; it proves itself with a
      // key pair (RFC 7523 §2.2), the private half of which never leaves that machine.
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: urls.agentCliJwks,
      // RFC 8252 §7.3: the system browser returns to a loopback listener on a port chosen at run
      // time. Plain http is right here (RFC 8252 §8.3: the request never leaves the machine), so this
      // does not depend on ALLOW_INSECURE_HTTP.
      application_type: 'native',
      redirect_uris: [AGENT_CLI_REDIRECT_URI],
      clientIdAtAuthorizationServer: { [urls.asIssuer]: 'acme-agent-cli-tasks' }, // IDP-21
    })
  }
  return clients
}

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

/** IDP-14: the (audience, resource) pairs, and IDP-13/IDP-17: what each group may obtain. */
export function demoPolicy(urls: {
  asIssuer: string
  rsResource: string
  demoAttacks?: boolean
}): Pick<IdpConfig, 'authorizationServers' | 'policy'> {
  const world = DEMO_ATTACK_WORLD
  if (urls.demoAttacks === true) {
    const partner = world.OTHER_AUTHORIZATION_SERVER
    return {
      authorizationServers: [
        {
          issuer: urls.asIssuer,
          resources: [
            {
              resource: urls.rsResource,
              name: 'Tasks',
              scopes: ['tasks.read', 'tasks.write', world.UNGRANTED_TASKS_SCOPE],
            },
            { ...world.OTHER_MCP_SERVER, scopes: [...world.OTHER_MCP_SERVER.scopes] },
          ],
        },
        {
          issuer: partner.issuer,
          resources: [{ resource: partner.resource, name: partner.name, scopes: [...partner.scopes] }],
        },
      ],
      policy: [
        { group: 'engineering', resource: urls.rsResource, scopes: ['tasks.read', 'tasks.write'] },
        { group: 'sales', resource: urls.rsResource, scopes: ['tasks.read'] },
        ...['engineering', 'sales'].flatMap((group) => [
          { group, resource: world.OTHER_MCP_SERVER.resource, scopes: [...world.OTHER_MCP_SERVER.scopes] },
          { group, resource: partner.resource, scopes: [...partner.scopes] },
        ]),
      ],
    }
  }
  return {
    authorizationServers: [
      {
        issuer: urls.asIssuer,
        resources: [{ resource: urls.rsResource, name: 'Tasks', scopes: ['tasks.read', 'tasks.write'] }],
      },
    ],
    policy: [
      { group: 'engineering', resource: urls.rsResource, scopes: ['tasks.read', 'tasks.write'] },
      { group: 'sales', resource: urls.rsResource, scopes: ['tasks.read'] },
    ],
  }
}

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
  const demoClientList = demoClients({ clientUrl, asIssuer, acmeAgentSecret: e.ACME_AGENT_IDP_SECRET, agentCliJwks })
  if (demoAttacks) {
    // IDP-21: Acme Agent is registered at the partner authorization server too, under its own id there.
    const acmeAgent = demoClientList[0]!
    acmeAgent.clientIdAtAuthorizationServer[DEMO_ATTACK_WORLD.OTHER_AUTHORIZATION_SERVER.issuer] =
      DEMO_ATTACK_WORLD.OTHER_AUTHORIZATION_SERVER.clientId
  }
  const cookieKeys = e.IDP_COOKIE_KEYS?.split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '')
  return {
    organizationName: 'Acme',
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
    users: requireUniqueSubjects(demoDirectory()),
    clients: requireUniqueClientIds([...demoClientList, ...parseIdpClients(e.IDP_CLIENTS, allowInsecureHttp)]),
    ...demoPolicy({ asIssuer, rsResource: e.RS_RESOURCE, demoAttacks }),
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
  const parsed = z.array(IdpClient).safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue !== undefined && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : ''
    throw new TypeError(`invalid IDP_CLIENTS${where}: ${issue?.message ?? 'invalid value'}`)
  }
  return parsed.data.map((client, index) => {
    for (const uri of client.redirect_uris)
      requireSafeRedirectUri(
        new URL(uri),
        client.application_type,
        allowInsecureHttp,
        `IDP_CLIENTS at ${index}.redirect_uris`,
      )
    const { jwks, clientIdAtAuthorizationServer, ...rest } = client
    return {
      ...rest,
      // CL-49: public keys only; a private member is refused, never stripped.
      ...(jwks === undefined ? {} : { jwks: parsePublicJwks(JSON.stringify(jwks), `IDP_CLIENTS at ${index}.jwks`) }),
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
