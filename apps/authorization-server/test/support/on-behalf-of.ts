/**
 * Test support for the on-behalf-of token exchange (OBO) and mTLS suites: an authorization server on
 * an ephemeral port whose signing key the test knows (so it can mint subject tokens exactly as the
 * server would, and forge them), the OBO clients and downstream APIs, and a token exchange request.
 * Self-contained on purpose (only src/ and the packages), so it does not depend on jwt-bearer.ts.
 */
import { basicAuthorization } from '@ema/demo-kit'
import { SignJWT } from 'jose'
import {
  GRANT_TYPE,
  InMemoryReplayStore,
  JWT_TYP,
  TOKEN_TYPE,
  generateSigningKey,
  remoteKeySet,
  type SigningKey,
} from '@ema/tokens'
import { createLogger, listen, listenTls, type AuditLog, type ListeningTls } from '@ema/server-kit'
import { loadConfig, type AuthorizationServerConfig } from '../../src/config.ts'
import { createAuthorizationServerApp } from '../../src/app.ts'
import { useForSuite } from '@ema/test-kit'

export const MCP_SERVER = 'http://localhost:4003/mcp'
export const OTHER_MCP_SERVER = 'http://localhost:4013/mcp'
export const TASKS_API = 'http://localhost:4004'
export const CALENDAR_API = 'http://localhost:4005'

/** The original client: the one the subject token was issued to (not switched on for OBO). */
export const AGENT = { id: 'acme-agent-tasks', secret: 'acme-agent-as-secret' }
/** The MCP server's client, switched on for OBO and tied to MCP_SERVER. */
export const MCP_CLIENT = { id: 'tasks-mcp-server', secret: 'tasks-mcp-server-secret' }
/** Tied to MCP_SERVER, with token_exchange present but the OBO profile not listed (the toggle off). */
export const OFF_CLIENT = { id: 'tasks-mcp-server-off', secret: 'off-secret' }
/** Switched on for OBO, tied to OTHER_MCP_SERVER. */
export const OTHER_CLIENT = { id: 'notes-mcp-server', secret: 'notes-secret' }
/** Switched on and tied to MCP_SERVER, but its client grant at the Tasks API is tasks.read only. */
export const READ_ONLY_CLIENT = { id: 'tasks-mcp-server-read-only', secret: 'read-only-secret' }
/** Switched on and tied to MCP_SERVER, but with no client grant at any downstream API. */
export const NO_GRANT_CLIENT = { id: 'tasks-mcp-server-no-grant', secret: 'no-grant-secret' }

const OBO = { allow_any_profile_of_type: ['on_behalf_of_token_exchange'] }

/** CLIENTS for the OBO suites (secret variants; the mTLS suite adds its own). */
export function oboClients(extra: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
  const basic = (client: { id: string; secret: string }) => ({
    client_id: client.id,
    client_secret: client.secret,
    token_endpoint_auth_method: 'client_secret_basic',
  })
  return [
    basic(AGENT),
    { ...basic(MCP_CLIENT), token_exchange: OBO, resource_server_identifier: MCP_SERVER },
    { ...basic(OFF_CLIENT), token_exchange: { allow_any_profile_of_type: [] }, resource_server_identifier: MCP_SERVER },
    { ...basic(OTHER_CLIENT), token_exchange: OBO, resource_server_identifier: OTHER_MCP_SERVER },
    { ...basic(READ_ONLY_CLIENT), token_exchange: OBO, resource_server_identifier: MCP_SERVER },
    { ...basic(NO_GRANT_CLIENT), token_exchange: OBO, resource_server_identifier: MCP_SERVER },
    ...extra,
  ]
}

/** DOWNSTREAM_APIS for the OBO suites: the Tasks API (identity mapping) and a Calendar API (tasks.read → calendar.read). */
export function oboDownstreamApis(
  extraGrants: Array<{ client_id: string; scopes: string[] }> = [],
): Array<Record<string, unknown>> {
  return [
    {
      identifier: TASKS_API,
      scopes: ['tasks.read', 'tasks.write'],
      client_grants: [
        { client_id: MCP_CLIENT.id, scopes: ['tasks.read', 'tasks.write'] },
        { client_id: OTHER_CLIENT.id, scopes: ['tasks.read', 'tasks.write'] },
        { client_id: READ_ONLY_CLIENT.id, scopes: ['tasks.read'] },
        ...extraGrants,
      ],
    },
    {
      identifier: CALENDAR_API,
      scopes: ['calendar.read', 'calendar.write'],
      client_grants: [{ client_id: MCP_CLIENT.id, scopes: ['calendar.read', 'calendar.write'] }],
      scope_mapping: { 'tasks.read': ['calendar.read'] },
    },
  ]
}

export interface OboAs {
  url: string
  config: AuthorizationServerConfig
  /** The key the server signs (and verifies subject tokens) with. */
  key: SigningKey
  logs: string[]
  /** The mTLS endpoint alias, when `tls` was given. */
  mtlsUrl?: string
  close(): Promise<void>
}

export interface StartOboAsOptions {
  env?: Record<string, string>
  now?: () => Date
  /** Serve the mTLS endpoint alias over HTTPS with these PEMs (client certificates requested, checked against `ca`). */
  tls?: { cert: string; key: string; ca: string }
  /** The audit trail (server-kit); absent → none. */
  audit?: AuditLog
}

/** Starts the authorization server with the OBO clients and downstream APIs (overridable through `env`). */
export async function startOboAs(options: StartOboAsOptions = {}): Promise<OboAs> {
  const l = await listen({ port: 0 })
  // RFC 8705 §5: the alias as main.ts serves it (listenTls: client certificates requested, checked against the CA).
  const tls: ListeningTls | undefined =
    options.tls === undefined
      ? undefined
      : await listenTls({ port: 0, cert: options.tls.cert, key: options.tls.key, clientCa: options.tls.ca })
  const mtlsUrl = tls?.url
  const config = loadConfig({
    AS_ISSUER: l.url,
    ALLOW_INSECURE_HTTP: 'true',
    TOKEN_RATE_LIMIT_PER_MINUTE: '0',
    MCP_SERVERS: JSON.stringify([
      { resource: MCP_SERVER, scopes: ['tasks.read', 'tasks.write'] },
      { resource: OTHER_MCP_SERVER, scopes: ['tasks.read', 'tasks.write'] },
    ]),
    CLIENTS: JSON.stringify(oboClients()),
    DOWNSTREAM_APIS: JSON.stringify(oboDownstreamApis()),
    ...(mtlsUrl === undefined
      ? {}
      : {
          AS_MTLS_URL: mtlsUrl,
          AS_MTLS_CERT_FILE: 'in-memory',
          AS_MTLS_KEY_FILE: 'in-memory',
          AS_MTLS_CA_FILE: 'in-memory',
        }),
    ...options.env,
  })
  const key = await generateSigningKey('ES256')
  const keySets = new Map(
    config.trustedIdps.map((idp) => [idp.issuer, remoteKeySet(idp.jwks_uri, { allowInsecureHttp: true })]),
  )
  const logs: string[] = []
  const app = createAuthorizationServerApp(config, {
    now: options.now ?? (() => new Date()),
    signingKey: key,
    issuerKeys: (issuer) => keySets.get(issuer),
    replayStore: new InMemoryReplayStore(),
    ...(options.audit === undefined ? {} : { audit: options.audit }),
    log: createLogger({ name: 'authorization-server', level: 'debug', write: (line) => logs.push(line) }),
  })
  l.server.on('request', app)
  tls?.server.on('request', app)
  return {
    url: l.url,
    config,
    key,
    logs,
    ...(mtlsUrl === undefined ? {} : { mtlsUrl }),
    close: async () => {
      await tls?.close()
      await l.close()
    },
  }
}

export interface MintSubjectOptions {
  /** Claims to set; `undefined` removes a default claim. */
  claims?: Record<string, unknown>
  header?: Record<string, unknown>
  /** Sign with this key (its kid is the server's unless `header` says otherwise). */
  signWith?: SigningKey
  /** "now" in seconds since the epoch (default: the real clock). */
  now?: number
}

/**
 * A subject token as the server's jwt-bearer grant issues it (RFC 9068: typ at+jwt, iss, sub, aud =
 * the MCP server, client_id = the original client, scope, jti, iat, exp, idp, idp_sub), with overrides.
 */
export async function mintSubjectToken(as: OboAs, options: MintSubjectOptions = {}): Promise<string> {
  const now = options.now ?? Math.floor(Date.now() / 1000)
  const claims: Record<string, unknown> = {
    iss: as.url,
    sub: 'acme|u-1001',
    aud: MCP_SERVER,
    client_id: AGENT.id,
    scope: 'tasks.read tasks.write',
    idp: 'http://localhost:4001',
    idp_sub: 'u-1001',
    jti: crypto.randomUUID(),
    iat: now,
    exp: now + 600,
    ...options.claims,
  }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
  const key = options.signWith ?? as.key
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: as.key.kid, typ: JWT_TYP.ACCESS_TOKEN, ...options.header } as {
      alg: string
    })
    .sign(key.privateKey)
}

export type ExchangeAuth =
  | { method: 'client_secret_basic' | 'client_secret_post'; id: string; secret: string }
  | { method: 'client_id_only'; id: string }
  | { method: 'none' }

export interface ExchangeOptions {
  /** Default: the MCP server's client with client_secret_basic. */
  auth?: ExchangeAuth
  /** Form parameters; `undefined` leaves a default out. Defaults: the OBO-03/OBO-04 parameters and audience = the Tasks API. */
  params?: Record<string, string | undefined>
  /** Extra raw pairs (repeated parameters). */
  extra?: Array<[string, string]>
  /** Base URL (default: the plain issuer). */
  url?: string
}

/** The token exchange request of the contract (docs/demo-world.md), as form pairs. */
export function exchangeForm(subjectToken: string, options: ExchangeOptions = {}): URLSearchParams {
  const params: Record<string, string | undefined> = {
    grant_type: GRANT_TYPE.TOKEN_EXCHANGE,
    subject_token: subjectToken,
    subject_token_type: TOKEN_TYPE.ACCESS_TOKEN,
    requested_token_type: TOKEN_TYPE.ACCESS_TOKEN,
    audience: TASKS_API,
    ...options.params,
  }
  const form = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined) form.append(name, value)
  for (const [name, value] of options.extra ?? []) form.append(name, value)
  return form
}

/** The client authentication headers and form members for `auth`. */
export function authenticate(form: URLSearchParams, auth: ExchangeAuth): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }
  if (auth.method === 'client_secret_basic') {
    headers.authorization = basicAuthorization(auth.id, auth.secret)
  } else if (auth.method === 'client_secret_post') {
    form.append('client_id', auth.id)
    form.append('client_secret', auth.secret)
  } else if (auth.method === 'client_id_only') {
    form.append('client_id', auth.id)
  }
  return headers
}

/** POSTs a token exchange to the server's token endpoint. */
export async function exchange(as: OboAs, subjectToken: string, options: ExchangeOptions = {}): Promise<Response> {
  const form = exchangeForm(subjectToken, options)
  const headers = authenticate(form, options.auth ?? { method: 'client_secret_basic', ...MCP_CLIENT })
  return fetch(`${options.url ?? as.url}/token`, { method: 'POST', headers, body: form })
}

/** The claims and header of a JWT, unverified (for tests that verify separately). */
export function decodeJwtParts(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header, claims] = jwt
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>)
  return { header: header ?? {}, claims: claims ?? {} }
}

/** Starts the authorization server with the OBO clients before the suite's tests, hands it to `ready`, and closes it after. */
export function useOboAs(ready: (as: OboAs) => unknown): void {
  useForSuite(
    () => startOboAs(),
    (as) => as.close(),
    ready,
  )
}
