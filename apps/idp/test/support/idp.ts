import {
  clientSecretBasic,
  clientSecretPost,
  privateKeyJwt,
  publicClient,
  signInAtIdp,
  type ClientAuthentication,
} from '@ema/demo-kit'
import { createAuditLog, createLogger, listen, type AuditLog, type AuditTrail, type Listening } from '@ema/server-kit'
import {
  generateSigningKey,
  GRANT_TYPE,
  publicJwks,
  signClientAssertion,
  TOKEN_TYPE,
  type SigningKey,
} from '@ema/tokens'
import { createIdpApp, type IdpDeps } from '../../src/app.ts'
import { loadConfig, type Env, type IdpConfig, type RegisteredClient } from '../../src/config.ts'
import { openPolicyStore, type PolicyStore } from '../../src/policy/policy-store.ts'
import { useForSuite } from '@ema/test-kit'

export const AS_ISSUER = 'http://localhost:4902'
export const RS_RESOURCE = 'http://localhost:4903/mcp'
export const CLIENT_URL = 'http://localhost:4900'
export const REDIRECT_URI = `${CLIENT_URL}/callback`

export type ClientAuth =
  | { method: 'client_secret_basic'; clientId: string; secret: string }
  | { method: 'client_secret_post'; clientId: string; secret: string }
  | { method: 'private_key_jwt'; clientId: string; key: SigningKey }
  | { method: 'none'; clientId: string }

export const ACME_AGENT: ClientAuth = {
  method: 'client_secret_basic',
  clientId: 'acme-agent',
  secret: 'acme-agent-idp-secret',
}
export const OTHER_APP: ClientAuth = {
  method: 'client_secret_basic',
  clientId: 'other-app',
  secret: 'other-app-secret',
}
export const PUBLIC_APP: ClientAuth = { method: 'none', clientId: 'public-app' }

export interface TestIdp {
  url: string
  /** Where this instance listens (the issuer's port unless `issuer` was given). */
  listeningUrl: string
  config: IdpConfig
  signingKey: SigningKey
  /** private_key_jwt client `jwt-client`. */
  jwtClient: ClientAuth
  /** Moves the IdP's token-exchange clock (not oidc-provider's). */
  setClockOffsetSeconds(seconds: number): void
  logs: string[]
  /** The administrator's policy in force (memory only unless `policyStateFile` was given). */
  policy: PolicyStore
  /** The audit trail (kept in memory; its lines in `auditLines`). */
  audit: AuditLog
  auditLines: string[]
  close(): Promise<void>
}

export interface StartIdpOptions {
  /** The token exchange's clock (default: the real one); the negative suite freezes it for the skew edges. */
  now?: () => Date
  /** More environment for loadConfig (for example AGENT_CLI_JWKS, IDP_DEMO_POLICY). */
  env?: Env
  /** Another instance of one deployment: its issuer (default: this listener's URL) and signing key. */
  issuer?: string
  signingKey?: SigningKey
  jwtClientKey?: SigningKey
  /** Shared state (decision 0040): oidc-provider's adapter, rate-limit windows, readiness. */
  deps?: Pick<IdpDeps, 'adapter' | 'rateLimitWindows' | 'ready'>
  /** A state file for admin edits (default: none, memory only). */
  policyStateFile?: string
  /** Another policy store (default: openPolicyStore on `policyStateFile`), e.g. on Redis (decision 0080). */
  policyStore?: (config: IdpConfig) => PolicyStore
  /** Where the audit log keeps recent events (default: in memory), e.g. on Redis. */
  auditTrail?: AuditTrail
}

/** Starts Acme SSO on an ephemeral port, with the demo world plus three test clients. */
export async function startIdp(options: StartIdpOptions = {}): Promise<TestIdp> {
  const listening: Listening = await listen({ port: 0 })
  const base = loadConfig({
    IDP_ISSUER: options.issuer ?? listening.url,
    AS_ISSUER,
    RS_RESOURCE,
    CLIENT_URL,
    ALLOW_INSECURE_HTTP: 'true',
    ...options.env,
  })
  const jwtClientKey = options.jwtClientKey ?? (await generateSigningKey('ES256'))
  const testClients: RegisteredClient[] = [
    {
      client_id: 'other-app',
      client_secret: 'other-app-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [REDIRECT_URI],
      clientIdAtAuthorizationServer: { [AS_ISSUER]: 'other-app-at-as' },
    },
    {
      client_id: 'jwt-client',
      token_endpoint_auth_method: 'private_key_jwt',
      redirect_uris: [REDIRECT_URI],
      jwks: publicJwks([jwtClientKey]),
      clientIdAtAuthorizationServer: { [AS_ISSUER]: 'jwt-client-at-as' },
    },
    {
      client_id: 'public-app',
      token_endpoint_auth_method: 'none',
      redirect_uris: [REDIRECT_URI],
      clientIdAtAuthorizationServer: { [AS_ISSUER]: 'public-app-at-as' },
    },
  ]
  const config: IdpConfig = { ...base, clients: [...base.clients, ...testClients] }
  const signingKey = options.signingKey ?? (await generateSigningKey('ES256'))
  let offsetSeconds = 0
  const logs: string[] = []
  const log = createLogger({ name: 'idp', write: (line) => logs.push(line) })
  const clock = options.now ?? (() => new Date())
  const now = () => new Date(clock().getTime() + offsetSeconds * 1000)
  const policy =
    options.policyStore?.(config) ??
    openPolicyStore({ demoPolicy: config.policy, world: config, file: options.policyStateFile })
  const auditLines: string[] = []
  const audit = createAuditLog({
    role: 'idp',
    destination: { kind: 'stdout' },
    write: (line) => auditLines.push(line),
    now,
    ...(options.auditTrail === undefined ? {} : { trail: options.auditTrail }),
  })
  const app = createIdpApp(config, { signingKey, now, log, policy, audit, ...options.deps })
  listening.server.on('request', app)
  return {
    url: options.issuer ?? listening.url,
    listeningUrl: listening.url,
    config,
    signingKey,
    jwtClient: { method: 'private_key_jwt', clientId: 'jwt-client', key: jwtClientKey },
    setClockOffsetSeconds: (seconds) => {
      offsetSeconds = seconds
    },
    logs,
    policy,
    audit,
    auditLines,
    close: () => listening.close(),
  }
}

/** Adds client authentication to a token request, with @ema/demo-kit's one implementation of each method. */
export async function authenticate(
  idp: { url: string },
  auth: ClientAuth | null,
  body: URLSearchParams,
  headers: Record<string, string>,
): Promise<void> {
  if (auth !== null) await clientAuthentication(idp, auth)(headers, body)
}

function clientAuthentication(idp: { url: string }, auth: ClientAuth): ClientAuthentication {
  switch (auth.method) {
    case 'client_secret_basic':
      return clientSecretBasic(auth.clientId, auth.secret)
    case 'client_secret_post':
      return clientSecretPost(auth.clientId, auth.secret)
    case 'private_key_jwt':
      return privateKeyJwt(auth.clientId, () =>
        signClientAssertion({ clientId: auth.clientId, audience: idp.url, now: new Date(), key: auth.key }),
      )
    case 'none':
      return publicClient(auth.clientId)
  }
}

export interface SignInOptions {
  client: ClientAuth
  username: string
  password: string
  scope?: string
  /** The OIDC `prompt` parameter; `consent` is what lets `offline_access` through (OIDC Core §11). */
  prompt?: string
  /** Default REDIRECT_URI (the web client's). */
  redirectUri?: string
}

/** The tokens of a code exchange at /token. */
export interface SignInTokens {
  id_token: string
  /** Present when the sign-in asked for `offline_access` (with `prompt=consent`). */
  refresh_token?: string
}

/**
 * Signs a user in through real HTTP, as a browser and a client app would: GET /auth with PKCE,
 * the login form, the redirects (cookies carried by hand), then the code at /token.
 * @returns the ID token.
 */
export async function signIn(idp: { url: string }, options: SignInOptions): Promise<string> {
  return (await signInForTokens(idp, options)).id_token
}

/**
 * Signs a user in, as `signIn`, and returns the ID token and, with `scope` including
 * `offline_access` and `prompt: 'consent'`, the refresh token.
 */
export async function signInWithRefreshToken(
  idp: { url: string },
  options: Omit<SignInOptions, 'prompt'>,
): Promise<{ idToken: string; refreshToken: string }> {
  const tokens = await signInForTokens(idp, {
    ...options,
    scope: options.scope ?? 'openid profile email offline_access',
    prompt: 'consent',
  })
  if (tokens.refresh_token === undefined) throw new Error('the code exchange returned no refresh_token')
  return { idToken: tokens.id_token, refreshToken: tokens.refresh_token }
}

/** The browser part and the code exchange are @ema/demo-kit's; the client authenticates as `authenticate` does. */
function signInForTokens(idp: { url: string }, options: SignInOptions): Promise<SignInTokens> {
  return signInAtIdp({
    idp: idp.url,
    clientId: options.client.clientId,
    redirectUri: options.redirectUri ?? REDIRECT_URI,
    scope: options.scope,
    prompt: options.prompt,
    username: options.username,
    password: options.password,
    clientAuth: (headers, body) => authenticate(idp, options.client, body, headers),
  })
}

export interface ExchangeParams {
  subject_token?: string
  audience?: string
  resource?: string
  scope?: string
  requested_token_type?: string
  subject_token_type?: string
  [name: string]: string | undefined
}

/** POSTs an RFC 8693 token exchange (ID token → ID-JAG) to the IdP's /token. */
export async function exchange(
  idp: { url: string },
  params: ExchangeParams,
  auth: ClientAuth | null = ACME_AGENT,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await postExchange(idp, params, auth)
  const json: unknown = await response.json()
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error('token endpoint did not return a JSON object')
  return { status: response.status, headers: response.headers, body: Object.fromEntries(Object.entries(json)) }
}

/** As `exchange`, unread: for assertions on the whole response. */
export async function postExchange(
  idp: { url: string },
  params: ExchangeParams,
  auth: ClientAuth | null = ACME_AGENT,
): Promise<Response> {
  const body = new URLSearchParams({
    grant_type: GRANT_TYPE.TOKEN_EXCHANGE,
    requested_token_type: TOKEN_TYPE.ID_JAG,
    subject_token_type: TOKEN_TYPE.ID_TOKEN,
    audience: AS_ISSUER,
    resource: RS_RESOURCE,
  })
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) body.delete(name)
    else body.set(name, value)
  }
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  await authenticate(idp, auth, body, headers)
  return fetch(new URL('/token', idp.url), { method: 'POST', headers, body })
}

/** Reads a JSON object response body without casting. */
export async function jsonObject(response: Response): Promise<Record<string, unknown>> {
  const json: unknown = await response.json()
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('expected a JSON object')
  return Object.fromEntries(Object.entries(json))
}

/** A demo user's ID token for acme-agent: `username` signs in with the demo password (`<username>-password`). */
export function idTokenOf(idp: { url: string }, username: string): Promise<string> {
  return signIn(idp, { client: ACME_AGENT, username, password: `${username}-password` })
}

/** Starts the IdP (with `options`) before the suite's tests, hands it to `ready`, and closes it after. */
export function useIdp(ready: (idp: TestIdp) => unknown, options: StartIdpOptions = {}): void {
  useForSuite(
    () => startIdp(options),
    (idp) => idp.close(),
    ready,
  )
}

/** A browser of sorts for the admin console at `base`: keeps the admin cookies, never follows redirects. */
export function consoleBrowser(base: string) {
  const jar = new Map<string, string>()
  const request = async (method: string, path: string, form?: Record<string, string>) => {
    const headers: Record<string, string> = {}
    if (jar.size > 0) headers.cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
    if (form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    const res = await fetch(new URL(path, base), {
      method,
      headers,
      redirect: 'manual',
      body: form === undefined ? undefined : new URLSearchParams(form),
    })
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';')
      const [name = '', value = ''] = pair.split('=')
      if (value === '') jar.delete(name)
      else jar.set(name, value)
    }
    return { status: res.status, headers: res.headers, html: await res.text() }
  }
  return { jar, request }
}

/** The synchronizer (CSRF) token of a console page's forms. */
export const csrfOf = (html: string): string => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''

/** Signs in at the admin console at `base` (its login form, with its login CSRF token). */
export async function signInAtConsole(base: string, username: string, password: string) {
  const b = consoleBrowser(base)
  const page = await b.request('GET', '/admin/login')
  const res = await b.request('POST', '/admin/login', { username, password, csrf: csrfOf(page.html) })
  return { ...b, res }
}
