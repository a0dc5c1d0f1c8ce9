import { type ClientRegistration, readClientRegistration } from '@ema/id-jag-client'
import {
  type DemoResetConfig,
  type Env,
  loadRuntimeConfig,
  type LogLevel,
  parseLogLevel,
  readDemoReset,
  readPort,
  readUrl,
  type ReadUrlOptions,
  type RuntimeConfig,
} from '@ema/server-kit'

/**
 * Configuration of the MCP client app "Acme Agent". Everything a fork changes: the IdP it signs users
 * in with, the MCP server it uses, and its two registrations (one at the IdP, one at the MCP
 * authorization server, IDP-21). Each field names its variable, its default and why; the defaults are
 * the demo world (docs/demo-world.md), so `npm start` works with no set-up. Only main.ts passes
 * `process.env`.
 */
export interface ChainConfig {
  /** CL-10: the enterprise IdP the organisation configured (no IdP discovery). Env `IDP_ISSUER`, default `http://localhost:4001`. */
  idpIssuer: string
  /** CL-03, CL-21: the MCP server's RFC 9728 resource identifier. Env `RS_RESOURCE`, default `http://localhost:4003/mcp`. */
  mcpServerUrl: string
  /**
   * The MCP authorization server the protected resource metadata must name (a cross-check). Env
   * `AS_ISSUER`, default `http://localhost:4002`; set it empty to accept the one the metadata names.
   */
  expectedAuthorizationServer: string | undefined
  /**
   * CL-27: the registration at the IdP (sign-in and the token exchange). Env `IDP_CLIENT_ID`,
   * `IDP_CLIENT_SECRET`, `IDP_CLIENT_PRIVATE_JWK`, `IDP_CLIENT_AUTH_METHOD`; default `acme-agent` with its demo secret.
   */
  idpClient: ClientRegistration
  /**
   * CL-37: the registration at the MCP authorization server (the jwt-bearer grant). Env `AS_CLIENT_*`
   * as above; default `acme-agent-tasks` with its demo secret.
   */
  authorizationServerClient: ClientRegistration
  /** CL-22, CL-40: the scopes asked for at the MCP server. Env `CLIENT_SCOPE`, default `tasks.read tasks.write`. */
  scope: string
  /** The scopes asked for at sign-in. Env `CLIENT_SIGN_IN_SCOPE`, default `openid profile`. */
  signInScope: string
  /** CL-48: env `ALLOW_INSECURE_HTTP=true`: plain http to loopback hosts (decision 0024). Default off: https only. */
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

/** The web app's configuration: the chain's, plus where it listens, its session cookie and the demo switches. */
/**
 * With {@link RuntimeConfig} (decision 0040: `SHUTDOWN_TIMEOUT_MS`, `REDIS_URL` and the rest; key prefix
 * `ema:client:<clientUrl>`): with Redis, web sessions are shared by every instance (decision 0090).
 */
export interface ClientConfig extends ChainConfig, RuntimeConfig {
  /** Where this app is reachable; the redirect URI is `${clientUrl}/callback`. Env `CLIENT_URL`, default `http://localhost:3000`. */
  clientUrl: string
  /** Env `CLIENT_PORT`, default the port of {@link clientUrl}. */
  port: number
  /** Signs the session cookie. Env `CLIENT_SESSION_SECRET`, default random per process (sessions live in memory and die with it); required with `REDIS_URL`, the same on every instance. */
  sessionSecret: string
  /** Env `LOG_LEVEL`: `debug`, `info` (default), `warn` or `error`. */
  logLevel: LogLevel
  /**
   * Env `CLIENT_DEMO_ATTACKS=true` (`npm start` and the browser tests; default off): the page's "Break
   * it" panel, which sends deliberately wrong requests to the real roles. Undefined when off.
   */
  demoAttacks: DemoAttackWorld | undefined
  /**
   * Env `DEMO_CLASSIC=true` (`npm start` and the browser tests; default off): the page's "with and
   * without enterprise-managed authorization" toggle connects, without, through the MCP authorization
   * server's own authorization code flow and consent screen, as this second registration there (an
   * interactive client, redirect URI `${clientUrl}/classic/callback`; env `AS_CLASSIC_CLIENT_ID` /
   * `AS_CLASSIC_CLIENT_SECRET`). Undefined when off. The EMA registration is {@link authorizationServerClient}.
   */
  classicClient: ClientRegistration | undefined
  /**
   * Env `DEMO_RESET=true` with `DEMO_RESET_SECRET` (`npm start` and the browser tests; default off):
   * `POST /demo/reset` ends every session here, and the page's "Reset the demo" button also calls the
   * other roles' `POST /demo/reset` (docs/walkthrough.md, "Reset"). Undefined when off.
   */
  demoReset: (DemoResetConfig & { roles: Array<{ name: string; url: string }> }) | undefined
}

/** Reads and checks the configuration. @throws {TypeError} one line naming the variable at fault. */
export function loadConfig(env: Env): ClientConfig {
  const urls: ReadUrlOptions = { allowInsecureHttp: env.ALLOW_INSECURE_HTTP === 'true' }
  const clientUrl = chainUrl(env, 'CLIENT_URL', 'http://localhost:3000', urls)
  const chain = readChainUrls(env, urls)
  const runtime = loadRuntimeConfig(env, `ema:client:${clientUrl}`) // decision 0040
  if (runtime.redisUrl !== undefined && (env.CLIENT_SESSION_SECRET ?? '') === '')
    throw new TypeError(
      'REDIS_URL shares sessions between instances: set CLIENT_SESSION_SECRET, the same on every instance',
    )
  return {
    clientUrl,
    port: readPort(env, 'CLIENT_PORT', clientUrl),
    ...chain,
    idpClient: readClientRegistration(env, 'IDP_CLIENT', acmeAgentAtIdp()),
    authorizationServerClient: readClientRegistration(env, 'AS_CLIENT', acmeAgentAtAuthorizationServer()),
    scope: env.CLIENT_SCOPE ?? 'tasks.read tasks.write',
    signInScope: env.CLIENT_SIGN_IN_SCOPE ?? 'openid profile',
    allowInsecureHttp: urls.allowInsecureHttp,
    sessionSecret: env.CLIENT_SESSION_SECRET ?? crypto.randomUUID() + crypto.randomUUID(),
    logLevel: parseLogLevel(env.LOG_LEVEL),
    ...runtime,
    demoAttacks: env.CLIENT_DEMO_ATTACKS === 'true' ? DEMO_ATTACK_WORLD : undefined,
    classicClient:
      env.DEMO_CLASSIC === 'true' ? readClientRegistration(env, 'AS_CLASSIC_CLIENT', acmeAgentClassic()) : undefined,
    demoReset: readDemoResetRoles(env, chain, urls),
  }
}

/** The demo's registration at the IdP (docs/demo-world.md). */
function acmeAgentAtIdp() {
  return { clientId: 'acme-agent', clientSecret: 'acme-agent-idp-secret' }
}

/** The demo's EMA registration at the MCP authorization server (IDP-21: another client_id there). */
function acmeAgentAtAuthorizationServer() {
  return { clientId: 'acme-agent-tasks', clientSecret: 'acme-agent-as-secret' }
}

/** The demo's interactive registration at the MCP authorization server (DEMO_CLASSIC, decision 0050). */
function acmeAgentClassic() {
  return { clientId: 'acme-agent-classic', clientSecret: 'acme-agent-classic-secret' }
}

/** The demo reset and the roles the page's button resets besides this one (their `POST /demo/reset`). */
function readDemoResetRoles(
  env: Env,
  chain: Pick<ChainConfig, 'idpIssuer' | 'expectedAuthorizationServer'>,
  urls: ReadUrlOptions,
): ClientConfig['demoReset'] {
  const demoReset = readDemoReset(env)
  if (demoReset === undefined) return undefined
  return {
    ...demoReset,
    roles: [
      { name: 'Acme SSO', url: chain.idpIssuer },
      {
        name: 'MCP authorization server',
        url: chain.expectedAuthorizationServer ?? chainUrl(env, 'AS_ISSUER', 'http://localhost:4002', urls),
      },
      { name: 'Tasks API', url: chainUrl(env, 'TASKS_API_URL', 'http://localhost:4004', urls) },
    ],
  }
}

/** The URLs of the chain (CL-10, CL-03), with the demo world's defaults. */
function readChainUrls(
  env: Env,
  urls: ReadUrlOptions,
): Pick<ChainConfig, 'idpIssuer' | 'mcpServerUrl' | 'expectedAuthorizationServer'> {
  return {
    idpIssuer: chainUrl(env, 'IDP_ISSUER', 'http://localhost:4001', urls),
    mcpServerUrl: chainUrl(env, 'RS_RESOURCE', 'http://localhost:4003/mcp', urls),
    expectedAuthorizationServer:
      env.AS_ISSUER === '' ? undefined : chainUrl(env, 'AS_ISSUER', 'http://localhost:4002', urls),
  }
}

/** server-kit's `readUrl`, without the trailing slash of a bare origin (`https://idp.example/` → `https://idp.example`). */
function chainUrl(env: Env, name: string, fallback: string, urls: ReadUrlOptions): string {
  const value = readUrl(env, name, fallback, urls)
  return value.endsWith('/') && new URL(value).pathname === '/' ? value.slice(0, -1) : value
}
