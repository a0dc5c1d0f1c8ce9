/**
 * Configuration of the MCP client app "Acme Agent".
 *
 * Everything a fork must change lives in {@link loadConfig}: the IdP it signs users in with, the MCP
 * server it is configured to use, and the client's two registrations (one at the IdP, one at the MCP
 * authorization server, IDP-21). Defaults are the demo world of `docs/demo-world.md`.
 */

import { type LogLevel, parseLogLevel } from '@ema/server-kit'
import type { JWK } from 'jose'

/**
 * Token endpoint client authentication methods this app supports (RFC 7591 §2 names): the two
 * shared-secret methods of RFC 6749 §2.3.1 and `private_key_jwt` (RFC 7523 §2.2, CL-28).
 */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number]

/**
 * One registration of this client at one authorization server: its `client_id` there and the
 * credentials it holds. A registration may hold a secret, a private key, or both; which method is
 * used at each token endpoint is chosen from the server's metadata (see
 * `flow/choose-client-auth-method.ts`), unless {@link authMethod} pins the registered one.
 */
export interface ClientRegistration {
  clientId: string
  /** The shared secret, for `client_secret_basic` / `client_secret_post`. */
  clientSecret?: string | undefined
  /** A private JWK with `alg` (and ideally `kid`), for `private_key_jwt`. Never log it. */
  privateJwk?: JWK | undefined
  /** The `token_endpoint_auth_method` the server registered (RFC 7591 §2); unset = choose from metadata. */
  authMethod?: ClientAuthMethod | undefined
}

/** What the web app and the agent CLI both configure: the IdP, the MCP server and the two registrations. */
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
}

export type Env = Record<string, string | undefined>

/** Reads configuration from environment variables, with the demo world's defaults. Throws on invalid values. */
export function loadConfig(env: Env): ClientConfig {
  const allowInsecureHttp = env.ALLOW_INSECURE_HTTP === 'true'

  // ---- what a fork edits: URLs ------------------------------------------------------------
  const clientUrl = readUrl(env, 'CLIENT_URL', 'http://localhost:3000', allowInsecureHttp)
  const urls = readChainUrls(env, allowInsecureHttp)

  // ---- what a fork edits: the client's two registrations (IDP-21) ------------------------
  const idpClient = readRegistration(env, 'IDP_CLIENT', { clientId: 'acme-agent', clientSecret: 'acme-agent-idp-secret' })
  const authorizationServerClient = readRegistration(env, 'AS_CLIENT', { clientId: 'acme-agent-tasks', clientSecret: 'acme-agent-as-secret' })

  const port = Number(new URL(clientUrl).port || (new URL(clientUrl).protocol === 'https:' ? 443 : 80))
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
  }
}

/** The URLs the web app and the agent share (CL-10, CL-03), with the demo world's defaults. */
export function readChainUrls(env: Env, allowInsecureHttp: boolean): Pick<ChainConfig, 'idpIssuer' | 'mcpServerUrl' | 'expectedAuthorizationServer'> {
  return {
    idpIssuer: readUrl(env, 'IDP_ISSUER', 'http://localhost:4001', allowInsecureHttp),
    mcpServerUrl: readUrl(env, 'RS_RESOURCE', 'http://localhost:4003/mcp', allowInsecureHttp),
    // Set to empty to accept whatever authorization server the protected resource metadata names.
    expectedAuthorizationServer: env.AS_ISSUER === '' ? undefined : readUrl(env, 'AS_ISSUER', 'http://localhost:4002', allowInsecureHttp),
  }
}

export function readUrl(env: Env, name: string, fallback: string, allowInsecureHttp: boolean): string {
  const raw = env[name] ?? fallback
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error(`${name} is not a URL: ${raw}`)
  }
  // CL-50: no userinfo, no fragment.
  if (url.username !== '' || url.password !== '' || url.hash !== '') throw new Error(`${name} must not contain userinfo or a fragment`)
  // CL-48: https only, unless the loud demo switch is on.
  if (url.protocol === 'http:' && !allowInsecureHttp) throw new Error(`${name} is http (${raw}); set ALLOW_INSECURE_HTTP=true for a local demo`)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name} must be an https URL`)
  // Issuers are compared exactly, so keep the configured string (minus a trailing slash on a bare origin).
  return raw.endsWith('/') && url.pathname === '/' ? raw.slice(0, -1) : raw
}

/**
 * One registration from `<prefix>_ID`, `<prefix>_SECRET`, `<prefix>_PRIVATE_JWK` (a private JWK as
 * JSON) and `<prefix>_AUTH_METHOD`. A private key without a secret drops the demo secret.
 */
export function readRegistration(env: Env, prefix: string, defaults: { clientId: string; clientSecret?: string; privateJwk?: JWK | undefined }): ClientRegistration {
  const privateJwk = readPrivateJwk(env, `${prefix}_PRIVATE_JWK`) ?? defaults.privateJwk
  const clientSecret = env[`${prefix}_SECRET`] ?? (privateJwk === undefined ? defaults.clientSecret : undefined)
  const authMethod = readAuthMethod(env, `${prefix}_AUTH_METHOD`)
  if (authMethod === 'private_key_jwt' && privateJwk === undefined) throw new Error(`${prefix}_AUTH_METHOD is private_key_jwt, but ${prefix}_PRIVATE_JWK is not set`)
  if (authMethod !== undefined && authMethod !== 'private_key_jwt' && clientSecret === undefined) throw new Error(`${prefix}_AUTH_METHOD is ${authMethod}, but ${prefix}_SECRET is not set`)
  return { clientId: env[`${prefix}_ID`] ?? defaults.clientId, clientSecret, privateJwk, authMethod }
}

function readAuthMethod(env: Env, name: string): ClientAuthMethod | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined // chosen from the server's metadata
  if (!(CLIENT_AUTH_METHODS as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${CLIENT_AUTH_METHODS.join(', ')}`)
  return raw as ClientAuthMethod
}

function readPrivateJwk(env: Env, name: string): JWK | undefined {
  const raw = env[name]
  return raw === undefined || raw === '' ? undefined : parsePrivateJwk(raw, name)
}

/** A private signing JWK from JSON text: with `d` and `alg`. Messages name `name` (a variable, a file). */
export function parsePrivateJwk(raw: string, name: string): JWK {
  let jwk: unknown
  try {
    jwk = JSON.parse(raw)
  } catch {
    throw new Error(`${name} is not JSON: it must be a private JWK`)
  }
  if (typeof jwk !== 'object' || jwk === null || typeof (jwk as JWK).d !== 'string') throw new Error(`${name} must be a private JWK (with "d")`)
  if (typeof (jwk as JWK).alg !== 'string') throw new Error(`${name} must name its signing algorithm in "alg" (e.g. ES256)`)
  return jwk as JWK
}
