/**
 * Configuration of the MCP client app "Acme Agent".
 *
 * Everything a fork must change lives in {@link loadConfig}: the IdP it signs users in with, the MCP
 * server it is configured to use, and the client's two registrations (one at the IdP, one at the MCP
 * authorization server, IDP-21). Defaults are the demo world of `docs/demo-world.md`.
 */

import { type ClientRegistration, type Env, readClientRegistration, readUrl } from '@ema/id-jag-client'
import {
  type DemoResetConfig,
  loadRuntimeConfig,
  loadShutdownTimeoutMs,
  type LogLevel,
  parseLogLevel,
  readDemoReset,
  type RuntimeConfig,
} from '@ema/server-kit'

export type { Env }

/** What the chain needs: the IdP, the MCP server and the two registrations. */
export interface ChainConfig {
  /** The enterprise IdP ("Acme SSO") the organisation configured (CL-10: IdP discovery is out of scope). */
  idpIssuer: string
  /** The MCP server the agent is configured with: its RFC 9728 resource identifier (CL-03, CL-21). */
  mcpServerUrl: string
  /**
   * The MCP authorization server issuer we expect protected resource metadata to name. Optional
   * cross-check: when set, discovery refuses any other authorization server.
   */
  expectedAuthorizationServer: string | undefined
  /** Registration at the IdP (used for SSO and for the token exchange, CL-27). */
  idpClient: ClientRegistration
  /** Registration at the MCP authorization server (used for the jwt-bearer grant, CL-37). */
  authorizationServerClient: ClientRegistration
  /** Scopes requested for the MCP server (CL-22, CL-40). */
  scope: string
  /** Scopes requested at sign-in. */
  signInScope: string
  /** Plain `http:` URLs are refused unless this is true (CL-48). Local demos only. */
  allowInsecureHttp: boolean
}

/**
 * The demo world's other parties that the "Break it" panel uses (docs/demo-world.md): names the IdP
 * and the authorization server know only with IDP_DEMO_ATTACKS / AS_DEMO_ATTACKS, and the credentials
 * of a second client registered at the authorization server. Nothing here is served.
 */
export interface DemoAttackWorld {
  /** A partner's authorization server the IdP issues ID-JAGs for, and the MCP server it governs. */
  otherAuthorizationServer: { issuer: string; resource: string; scope: string }
  /** A second MCP server governed by our authorization server. */
  otherMcpServer: { resource: string; scope: string }
  /** Another client registered at our authorization server. */
  otherClient: ClientRegistration
  /** A Tasks scope the IdP defines but grants to no group. */
  ungrantedScope: string
}

/** The values of {@link DemoAttackWorld} in the demo world (the IdP's and the AS's DEMO_ATTACK_WORLD). */
export const DEMO_ATTACK_WORLD: DemoAttackWorld = {
  otherAuthorizationServer: {
    issuer: 'https://as.partner.example',
    resource: 'https://files.partner.example/mcp',
    scope: 'files.read',
  },
  otherMcpServer: { resource: 'https://calendar.acme.example/mcp', scope: 'calendar.read' },
  otherClient: { clientId: 'other-agent', clientSecret: 'other-agent-secret' },
  ungrantedScope: 'tasks.admin',
}

/** The web app's configuration: the chain's, plus where it listens and its session cookie. */
export interface ClientConfig extends ChainConfig {
  /** Where this app is reachable, e.g. `http://localhost:3000`. The redirect URI is `${clientUrl}/callback`. */
  clientUrl: string
  /** Port to listen on, taken from {@link clientUrl}. */
  port: number
  /** Secret used to sign the session cookie. */
  sessionSecret: string
  /** LOG_LEVEL: `debug`, `info` (default), `warn` or `error`. */
  logLevel: LogLevel
  /** SHUTDOWN_TIMEOUT_MS: on SIGTERM, most milliseconds requests in flight get to finish. Default 10000. */
  shutdownTimeoutMs: number
  /**
   * `CLIENT_DEMO_ATTACKS=true` (set by `npm start` and the browser tests; off by default): the page's
   * "Break it" panel, which sends deliberately wrong requests to the real roles. Undefined when off.
   */
  demoAttacks: DemoAttackWorld | undefined
  /**
   * `DEMO_RESET=true` with `DEMO_RESET_SECRET` (set by `npm start` and the browser tests; off by default):
   * `POST /demo/reset` ends every session here, and the page's "Reset the demo" button also calls the
   * other roles' `POST /demo/reset` (docs/walkthrough.md, "Reset"). Undefined when off.
   */
  /**
   * `DEMO_CLASSIC=true` (set by `npm start` and the browser tests; off by default): the page's "with and
   * without enterprise-managed authorization" toggle connects, without, through the MCP authorization
   * server's own authorization code flow and consent screen, as this second registration there (an
   * interactive client, redirect URI `${clientUrl}/classic/callback`; env AS_CLASSIC_CLIENT_ID /
   * AS_CLASSIC_CLIENT_SECRET). Undefined when off. The EMA registration is {@link authorizationServerClient}.
   */
  classicClient: ClientRegistration | undefined
  demoReset: (DemoResetConfig & { roles: Array<{ name: string; url: string }> }) | undefined
  /** REDIS_URL and the rest (decisions 0040, 0090): with Redis, web sessions are shared by every instance. */
  runtime: RuntimeConfig
}

/** Reads configuration from environment variables, with the demo world's defaults. Throws on invalid values. */
export function loadConfig(env: Env): ClientConfig {
  const allowInsecureHttp = env.ALLOW_INSECURE_HTTP === 'true'

  // ---- what a fork edits: URLs ------------------------------------------------------------
  const clientUrl = readUrl(env, 'CLIENT_URL', 'http://localhost:3000', allowInsecureHttp)
  const urls = readChainUrls(env, allowInsecureHttp)

  // ---- what a fork edits: the client's two registrations (IDP-21) ------------------------
  const idpClient = readClientRegistration(env, 'IDP_CLIENT', {
    clientId: 'acme-agent',
    clientSecret: 'acme-agent-idp-secret',
  })
  const authorizationServerClient = readClientRegistration(env, 'AS_CLIENT', {
    clientId: 'acme-agent-tasks',
    clientSecret: 'acme-agent-as-secret',
  })

  const port = Number(new URL(clientUrl).port || (new URL(clientUrl).protocol === 'https:' ? 443 : 80))
  const runtime = loadRuntimeConfig(env, `ema:client:${clientUrl}`)
  if (runtime.redisUrl !== undefined && (env.CLIENT_SESSION_SECRET ?? '') === '')
    throw new TypeError(
      'REDIS_URL shares sessions between instances: set CLIENT_SESSION_SECRET, the same on every instance',
    )
  return {
    clientUrl,
    port: env.CLIENT_PORT === undefined ? port : Number(env.CLIENT_PORT),
    ...urls,
    idpClient,
    authorizationServerClient,
    scope: env.CLIENT_SCOPE ?? 'tasks.read tasks.write',
    signInScope: env.CLIENT_SIGN_IN_SCOPE ?? 'openid profile',
    allowInsecureHttp,
    // A random per-process secret is fine for in-memory sessions: they die with the process anyway.
    sessionSecret: env.CLIENT_SESSION_SECRET ?? crypto.randomUUID() + crypto.randomUUID(),
    logLevel: parseLogLevel(env.LOG_LEVEL),
    shutdownTimeoutMs: loadShutdownTimeoutMs(env),
    demoAttacks: env.CLIENT_DEMO_ATTACKS === 'true' ? DEMO_ATTACK_WORLD : undefined,
    classicClient:
      env.DEMO_CLASSIC === 'true'
        ? readClientRegistration(env, 'AS_CLASSIC_CLIENT', {
            clientId: 'acme-agent-classic',
            clientSecret: 'acme-agent-classic-secret',
          })
        : undefined,
    demoReset: readDemoResetRoles(env, urls, allowInsecureHttp),
    runtime,
  }
}

/** The demo reset and the roles the page's button resets besides this one (their `POST /demo/reset`). */
function readDemoResetRoles(
  env: Env,
  urls: Pick<ChainConfig, 'idpIssuer' | 'expectedAuthorizationServer'>,
  allowInsecureHttp: boolean,
): ClientConfig['demoReset'] {
  const demoReset = readDemoReset(env)
  if (demoReset === undefined) return undefined
  const authorizationServer =
    urls.expectedAuthorizationServer ?? readUrl(env, 'AS_ISSUER', 'http://localhost:4002', allowInsecureHttp)
  return {
    ...demoReset,
    roles: [
      { name: 'Acme SSO', url: urls.idpIssuer },
      { name: 'MCP authorization server', url: authorizationServer },
      { name: 'Tasks API', url: readUrl(env, 'TASKS_API_URL', 'http://localhost:4004', allowInsecureHttp) },
    ],
  }
}

/** The URLs the web app and the agent share (CL-10, CL-03), with the demo world's defaults. */
function readChainUrls(
  env: Env,
  allowInsecureHttp: boolean,
): Pick<ChainConfig, 'idpIssuer' | 'mcpServerUrl' | 'expectedAuthorizationServer'> {
  return {
    idpIssuer: readUrl(env, 'IDP_ISSUER', 'http://localhost:4001', allowInsecureHttp),
    mcpServerUrl: readUrl(env, 'RS_RESOURCE', 'http://localhost:4003/mcp', allowInsecureHttp),
    // Set to empty to accept whatever authorization server the protected resource metadata names.
    expectedAuthorizationServer:
      env.AS_ISSUER === '' ? undefined : readUrl(env, 'AS_ISSUER', 'http://localhost:4002', allowInsecureHttp),
  }
}
