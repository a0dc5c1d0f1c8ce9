import { type LogLevel, parseLogLevel } from '@ema/server-kit'
import { randomBytes } from 'node:crypto'
import { assertTrustworthyUrl, parsePublicJwks } from '@ema/tokens'
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

export interface IdpConfig {
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
  /** Env `IDP_SIGNING_KEY`: a private JWK as JSON (ES256 recommended). Absent → generated at start-up. */
  signingKeyJwk: JWK | undefined
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
    { username: 'alice', password: 'alice-password', sub: 'u-1001', name: 'Alice Anderson', email: 'alice@acme.example', groups: ['engineering'] },
    { username: 'bob', password: 'bob-password', sub: 'u-1002', name: 'Bob Brown', email: 'bob@acme.example', groups: ['sales'] },
    { username: 'carol', password: 'carol-password', sub: 'u-1003', name: 'Carol Clark', email: 'carol@acme.example', groups: [] },
  ]
}

/** The redirect URI of the agent CLI: the loopback interface, any port (RFC 8252 §7.3). */
export const AGENT_CLI_REDIRECT_URI = 'http://127.0.0.1/callback'

/**
 * The clients the enterprise registered (and pre-approved) at its IdP: the web app "Acme Agent",
 * and, when its public keys are configured, the headless "Acme Agent CLI".
 */
export function demoClients(urls: { clientUrl: string; asIssuer: string; acmeAgentSecret: string; agentCliJwks?: { keys: JWK[] } | undefined }): RegisteredClient[] {
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

/** IDP-14: the (audience, resource) pairs, and IDP-13/IDP-17: what each group may obtain. */
export function demoPolicy(urls: { asIssuer: string; rsResource: string }): Pick<IdpConfig, 'authorizationServers' | 'policy'> {
  return {
    authorizationServers: [
      { issuer: urls.asIssuer, resources: [{ resource: urls.rsResource, name: 'Tasks', scopes: ['tasks.read', 'tasks.write'] }] },
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
  IDP_COOKIE_KEYS: z.string().min(1).optional(),
  TOKEN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(DEFAULTS.TOKEN_RATE_LIMIT_PER_MINUTE),
  AGENT_CLI_JWKS: z.string().optional(),
  IDP_CLIENTS: z.string().optional(),
})

/**
 * Env `IDP_CLIENTS`: more registered clients, as a JSON array of `RegisteredClient`s (the same
 * fields, wire names kept), so a third-party client needs no code edit. They are added to the demo
 * clients, never replace them.
 */
const ClientRegistrations = z.array(
  z.object({
    client_id: z.string().min(1),
    client_secret: z.string().min(1).optional(),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']),
    token_endpoint_auth_signing_alg: z.literal('ES256').optional(),
    application_type: z.enum(['web', 'native']).optional(),
    redirect_uris: z.array(z.url()).min(1),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
    clientIdAtAuthorizationServer: z.record(z.string().min(1), z.string().min(1)),
  }).strict().refine(
    (c) => c.token_endpoint_auth_method === 'private_key_jwt' ? c.jwks !== undefined
      : c.token_endpoint_auth_method === 'none' || c.client_secret !== undefined,
    { message: 'client_secret_* clients need client_secret; private_key_jwt clients need jwks' },
  ).refine((c) => Object.keys(c.clientIdAtAuthorizationServer).length > 0, {
    message: 'clientIdAtAuthorizationServer must map at least one authorization server issuer to the client\'s id there (IDP-21)',
    path: ['clientIdAtAuthorizationServer'],
  }),
)

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
    throw new TypeError(`IDP_ISSUER=${issuer} ends with "/": oidc-provider serves its endpoints below the issuer, so give it without the trailing slash`)
  }
  const asIssuer = e.AS_ISSUER
  const clientUrl = e.CLIENT_URL.replace(/\/$/, '')
  const allowInsecureHttp = e.ALLOW_INSECURE_HTTP === 'true'
  for (const [name, value] of [['IDP_ISSUER', issuer], ['AS_ISSUER', asIssuer], ['RS_RESOURCE', e.RS_RESOURCE], ['CLIENT_URL', clientUrl]] as const) {
    try {
      assertTrustworthyUrl(new URL(value), allowInsecureHttp)
    } catch (cause) {
      throw new TypeError(`${name}=${value} is plain http: set ALLOW_INSECURE_HTTP=true for a local demo, or use https`, { cause })
    }
  }
  // Env `AGENT_CLI_JWKS`: the public keys of the "Acme Agent CLI". Absent or empty → it is not registered.
  const agentCliJwks = e.AGENT_CLI_JWKS === undefined || e.AGENT_CLI_JWKS.trim() === '' ? undefined : parsePublicJwks(e.AGENT_CLI_JWKS, 'AGENT_CLI_JWKS')
  const configuredClients = e.IDP_CLIENTS === undefined || e.IDP_CLIENTS.trim() === '' ? [] : parseClientRegistrations(e.IDP_CLIENTS)
  const cookieKeys = e.IDP_COOKIE_KEYS?.split(',').map((k) => k.trim()).filter((k) => k !== '')
  return {
    organizationName: 'Acme',
    issuer,
    port: e.IDP_PORT ?? portOf(new URL(issuer)),
    allowInsecureHttp,
    logLevel: parseLogLevel(env.LOG_LEVEL),
    signingKeyJwk: e.IDP_SIGNING_KEY === undefined ? undefined : parseJwk(e.IDP_SIGNING_KEY),
    cookieKeys: cookieKeys !== undefined && cookieKeys.length > 0 ? cookieKeys : [randomBytes(32).toString('base64url')],
    cookieKeysSource: cookieKeys !== undefined && cookieKeys.length > 0 ? 'configured' : 'ephemeral',
    idJagLifetimeSeconds: 300,
    clockSkewSeconds: 30,
    tokenRateLimitPerMinute: e.TOKEN_RATE_LIMIT_PER_MINUTE,
    users: requireUniqueSubjects(demoDirectory()),
    clients: requireUniqueClientIds([...demoClients({ clientUrl, asIssuer, acmeAgentSecret: e.ACME_AGENT_IDP_SECRET, agentCliJwks }), ...configuredClients]),
    ...demoPolicy({ asIssuer, rsResource: e.RS_RESOURCE }),
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

/** Reads `IDP_CLIENTS`; the first mistake is one TypeError naming the entry and field at fault. */
function parseClientRegistrations(json: string): RegisteredClient[] {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (cause) {
    throw new TypeError('IDP_CLIENTS is not valid JSON; expected an array of client registrations', { cause })
  }
  const parsed = ClientRegistrations.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue !== undefined && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : ''
    throw new TypeError(`invalid IDP_CLIENTS${where}: ${issue?.message ?? 'invalid value'}`)
  }
  return parsed.data.map((client, index): RegisteredClient => {
    const { jwks, ...rest } = client
    // CL-49: public keys only; a private key in the environment is refused, not stripped.
    return jwks === undefined ? rest : { ...rest, jwks: parsePublicJwks(JSON.stringify(jwks), `IDP_CLIENTS[${index}].jwks`) }
  })
}

/** A client_id names one client: a second registration under it (IDP_CLIENTS repeating a demo client, say) is a configuration error. */
export function requireUniqueClientIds(clients: RegisteredClient[]): RegisteredClient[] {
  const seen = new Set<string>()
  for (const client of clients) {
    if (seen.has(client.client_id)) {
      throw new TypeError(`invalid IDP_CLIENTS: client_id "${client.client_id}" is registered twice (IDP_CLIENTS adds to the demo clients, it does not replace them); each client needs a client_id of its own`)
    }
    seen.add(client.client_id)
  }
  return clients
}

/**
 * IDP-23: `sub` must be unique within this issuer, and a username must name one person. A directory
 * that breaks either is a configuration error, not something to discover at sign-in.
 */
export function requireUniqueSubjects(users: DirectoryUser[]): DirectoryUser[] {
  for (const key of ['sub', 'username'] as const) {
    const seen = new Set<string>()
    for (const user of users) {
      if (seen.has(user[key])) throw new TypeError(`the directory lists ${key} "${user[key]}" twice; each ${key} must name one user (IDP-23)`)
      seen.add(user[key])
    }
  }
  return users
}
