import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import {
  appFolder,
  CookieJar,
  demoWorldEnv,
  protectedResourceMetadataUrl,
  startRoles,
  type DemoWorldUrls,
  type RunningRoles,
} from '@ema/demo-kit'
import { useForSuite } from '@ema/test-kit'

// The real IdP, authorization server and MCP server, each its own process (as `npm start` runs them),
// on free ports, for the authorization code flow suites (decision 0050). Apps never import apps: the
// roles are reached over HTTP only.

/** The AS's registration at the IdP for the federated sign-in (IDP_CLIENTS, as scripts/start.ts registers it). */
export const SIGN_IN_CLIENT = { clientId: 'mcp-authorization-server', clientSecret: 'test-as-at-idp-secret' }
/** A public interactive client (an MCP desktop app): PKCE only, loopback redirect on any port. */
export const PUBLIC_CLIENT = {
  clientId: 'tasks-desktop',
  redirectUri: 'http://127.0.0.1/callback',
  name: 'Tasks <Desktop> & "Co"',
}
/** A confidential interactive client (a web app). */
export const WEB_CLIENT = {
  clientId: 'tasks-web',
  clientSecret: 'tasks-web-secret',
  redirectUri: 'http://localhost:5999/callback',
  name: 'Tasks Web',
}
/** The EMA client of the demo, registered as by default (jwt-bearer only). */
export const EMA_CLIENT = { clientId: 'acme-agent-tasks', clientSecret: 'acme-agent-as-secret' }
export const ALICE = { username: 'alice', password: 'alice-password' }

export interface World {
  urls: DemoWorldUrls
  roles: RunningRoles
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

/** Starts the IdP, the AS and the MCP server with the interactive clients registered at the AS. */
export async function startWorld(): Promise<World> {
  const [clientPort, idpPort, asPort, rsPort, tasksApiPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ]
  const urls: DemoWorldUrls = {
    client: `http://localhost:${clientPort}`,
    idp: `http://localhost:${idpPort}`,
    as: `http://localhost:${asPort}`,
    rs: `http://localhost:${rsPort}/mcp`,
    tasksApi: `http://localhost:${tasksApiPort}`,
    asMtls: 'https://localhost:1', // unused: the MCP server's exchange takes the secret variant here
  }
  const env = demoWorldEnv(process.env, urls, {
    LOG_LEVEL: 'info', // so that the no-secrets-in-logs test reads every log line
    IDP_CLIENTS: JSON.stringify([
      {
        client_id: SIGN_IN_CLIENT.clientId,
        client_secret: SIGN_IN_CLIENT.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [`${urls.as}/interaction/callback`],
      },
    ]),
    SIGN_IN_IDP_CLIENT_ID: SIGN_IN_CLIENT.clientId,
    SIGN_IN_IDP_CLIENT_SECRET: SIGN_IN_CLIENT.clientSecret,
    AS_COOKIE_KEYS: 'test-cookie-key-one,test-cookie-key-two',
    CLIENTS: JSON.stringify([
      {
        client_id: EMA_CLIENT.clientId,
        client_secret: EMA_CLIENT.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: PUBLIC_CLIENT.clientId,
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        redirect_uris: [PUBLIC_CLIENT.redirectUri],
        client_name: PUBLIC_CLIENT.name,
      },
      {
        client_id: WEB_CLIENT.clientId,
        client_secret: WEB_CLIENT.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [WEB_CLIENT.redirectUri],
        client_name: WEB_CLIENT.name,
      },
      // The MCP server's own client: its tools call the Tasks API on the user's behalf (OBO-10).
      {
        client_id: 'tasks-mcp-server',
        client_secret: 'tasks-mcp-server-secret',
        token_endpoint_auth_method: 'client_secret_basic',
        token_exchange: { allow_any_profile_of_type: ['on_behalf_of_token_exchange'] },
        resource_server_identifier: urls.rs,
      },
    ]),
    TRUSTED_IDPS: JSON.stringify([
      { issuer: urls.idp, jwks_uri: `${urls.idp}/jwks`, subject_namespace: 'acme', client_ids: [EMA_CLIENT.clientId] },
    ]),
  })
  const roles = await startRoles(
    [
      { name: 'idp', cwd: appFolder('idp'), port: idpPort, readyUrl: `${urls.idp}/.well-known/openid-configuration` },
      {
        name: 'as',
        cwd: appFolder('authorization-server'),
        port: asPort,
        readyUrl: `${urls.as}/.well-known/oauth-authorization-server`,
      },
      {
        name: 'tasks-api',
        cwd: appFolder('tasks-api'),
        port: tasksApiPort,
        readyUrl: protectedResourceMetadataUrl(urls.tasksApi),
      },
      { name: 'mcp', cwd: appFolder('resource-server'), port: rsPort, readyUrl: protectedResourceMetadataUrl(urls.rs) },
    ],
    { env },
  )
  return { urls, roles }
}

/** A PKCE pair (RFC 7636 §4.1, §4.2 S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

/** An authorization request URL at the AS; `params` overrides (undefined removes) the defaults. */
export function authorizationUrl(as: string, params: Record<string, string | undefined>): string {
  const url = new URL('/auth', as)
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: PUBLIC_CLIENT.clientId,
    redirect_uri: PUBLIC_CLIENT.redirectUri,
    state: randomBytes(8).toString('hex'),
    code_challenge_method: 'S256',
    ...params,
  }
  for (const [name, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(name, value)
  return url.href
}

/** One browser step: the response of a request, the page's HTML, and where it redirects (not followed). */
export interface Step {
  url: string
  status: number
  html: string
  location?: URL
}

/** A hand-driven browser: one cookie jar, redirects followed explicitly. */
export class Browser {
  readonly jar = new CookieJar()

  async request(url: string, form?: URLSearchParams, headers: Record<string, string> = {}): Promise<Step> {
    const all: Record<string, string> = { cookie: this.jar.header(), ...headers }
    if (form !== undefined) all['content-type'] = 'application/x-www-form-urlencoded'
    const response = await fetch(url, {
      method: form === undefined ? 'GET' : 'POST',
      headers: all,
      body: form,
      redirect: 'manual',
    })
    this.jar.store(response)
    const location = response.headers.get('location')
    return {
      url,
      status: response.status,
      html: await response.text(),
      ...(location === null ? {} : { location: new URL(location, url) }),
    }
  }

  /** Follows redirects from `url` until a page (non-redirect) or a redirect to `stopAt` (an origin + path). */
  async follow(url: string, stopAt: string, form?: URLSearchParams, headers?: Record<string, string>): Promise<Step> {
    let step = await this.request(url, form, headers)
    for (let hop = 0; hop < 15; hop++) {
      if (step.location === undefined || step.status < 300 || step.status >= 400) return step
      if (matches(step.location, stopAt)) return step
      step = await this.request(step.location.href)
    }
    throw new Error(`too many redirects from ${url}`)
  }
}

/** Whether `url` is `redirectUri` (origin and path; a native loopback redirect URI matches any port). */
export function matches(url: URL, redirectUri: string): boolean {
  const target = new URL(redirectUri)
  const sameHost =
    target.hostname === '127.0.0.1' && target.port === '' ? url.hostname === '127.0.0.1' : url.origin === target.origin
  return sameHost && url.pathname === target.pathname
}

/** The AS token request for a code (public client unless `auth` gives Basic credentials). */
export async function redeemCode(
  as: string,
  params: Record<string, string>,
  auth?: { clientId: string; clientSecret: string },
): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }
  if (auth !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${auth.clientId}:${auth.clientSecret}`).toString('base64')}`
  return fetch(`${as}/token`, { method: 'POST', headers, body: new URLSearchParams(params) })
}

/** Calls a tool of the MCP server with `accessToken`: initialize, notifications/initialized, tools/call. */
export async function callTool(
  rs: string,
  accessToken: string,
  tool: string,
): Promise<{ status: number; result?: Record<string, unknown> }> {
  const headers = {
    authorization: `Bearer ${accessToken}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  }
  const init = await fetch(rs, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'as-flow-test', version: '0' } },
    }),
  })
  if (init.status !== 200) {
    await init.arrayBuffer()
    return { status: init.status }
  }
  await init.arrayBuffer()
  const session = init.headers.get('mcp-session-id')
  const sessionHeaders = {
    ...headers,
    ...(session === null ? {} : { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' }),
  }
  await (
    await fetch(rs, {
      method: 'POST',
      headers: sessionHeaders,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    })
  ).arrayBuffer()
  const call = await fetch(rs, {
    method: 'POST',
    headers: sessionHeaders,
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: tool, arguments: {} } }),
  })
  const text = await call.text()
  const json = (call.headers.get('content-type') ?? '').includes('text/event-stream')
    ? (JSON.parse(
        text
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5))
          .join(''),
      ) as { result?: { structuredContent?: Record<string, unknown> } })
    : (JSON.parse(text) as { result?: { structuredContent?: Record<string, unknown> } })
  const result = json.result?.structuredContent
  return { status: call.status, ...(result === undefined ? {} : { result }) }
}

/** The claims of a JWT, unverified (the MCP server verifies; the tests read). */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>
}

export function headerOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>
}

/** Starts the world before the suite's tests, hands it to `ready`, and stops its roles after. */
export function useWorld(ready: (world: World) => unknown): void {
  useForSuite(startWorld, (world) => world.roles.stop(), ready)
}
