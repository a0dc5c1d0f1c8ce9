/**
 * Configuration of the headless agent CLI ("Acme Agent CLI", `npm run agent`).
 *
 * The CLI is its own client, registered apart from the web app (docs/demo-world.md): `acme-agent-cli`
 * at the IdP, `acme-agent-cli-tasks` at the MCP authorization server (IDP-21). It is confidential:
 * it authenticates with `private_key_jwt` at both (CL-28), with a key pair made for this checkout
 * by `npm start` (CL-49: no private key ships in the repository). It signs the user in through the
 * system browser with a loopback redirect (RFC 8252 §7.3).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type ClientRegistration, type Env, parsePrivateJwk, readClientRegistration, readUrl } from '@ema/id-jag-client'
import type { JWK } from 'jose'

export type { Env }

export interface AgentConfig {
  /** The enterprise IdP ("Acme SSO") the organisation configured (CL-10: IdP discovery is out of scope). */
  idpIssuer: string
  /** The MCP server the agent is configured with: its RFC 9728 resource identifier (CL-03, CL-21). */
  mcpServerUrl: string
  /** The MCP authorization server protected resource metadata must name; undefined accepts the first listed. */
  expectedAuthorizationServer: string | undefined
  /** Registration at the IdP (used for sign-in and for the token exchange, CL-27). */
  idpClient: ClientRegistration
  /** Registration at the MCP authorization server (used for the jwt-bearer grant, CL-37). */
  authorizationServerClient: ClientRegistration
  /** Scopes requested for the MCP server (CL-22, CL-40). */
  scope: string
  /** Scopes requested at sign-in: with `offline_access`, for the IdP refresh token kept for later runs (CL-45). */
  signInScope: string
  /** Plain `http:` URLs are refused unless this is true (CL-48). Local demos only. */
  allowInsecureHttp: boolean
  /** Where the signed-in state (IdP refresh token, ID token, access token) is kept between runs. */
  stateFile: string
  /** The loopback address the sign-in redirect comes back to (RFC 8252 §7.3: an IP literal, not "localhost"). */
  loopbackHost: string
  /** How long `login` waits for the browser, in ms. */
  loginTimeoutMs: number
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
/** Where `npm start` writes this checkout's CLI key pair (scripts/start.ts). */
const DEFAULT_KEY_FILE = path.join(repoRoot, '.demo', 'agent-cli-key.json')
const DEFAULT_STATE_FILE = path.join(repoRoot, '.demo', 'agent-cli-state.json')

/** Reads the CLI's configuration from the environment, with the demo world's defaults. Throws on invalid values. */
export function loadAgentConfig(env: Env): AgentConfig {
  const allowInsecureHttp = env.ALLOW_INSECURE_HTTP === 'true'
  const urls = {
    idpIssuer: readUrl(env, 'IDP_ISSUER', 'http://localhost:4001', allowInsecureHttp),
    mcpServerUrl: readUrl(env, 'RS_RESOURCE', 'http://localhost:4003/mcp', allowInsecureHttp),
    // Set to empty to accept whatever authorization server the protected resource metadata names.
    expectedAuthorizationServer:
      env.AS_ISSUER === '' ? undefined : readUrl(env, 'AS_ISSUER', 'http://localhost:4002', allowInsecureHttp),
  }

  // One key pair, read once, serves both registrations unless a registration is given its own
  // credential (<prefix>_PRIVATE_JWK or <prefix>_SECRET).
  const ownCredential = (prefix: string) =>
    env[`${prefix}_PRIVATE_JWK`] !== undefined || env[`${prefix}_SECRET`] !== undefined
  const fileKey =
    ownCredential('AGENT_IDP_CLIENT') && ownCredential('AGENT_AS_CLIENT')
      ? undefined
      : readKeyFile(env.AGENT_CLI_KEY_FILE ?? DEFAULT_KEY_FILE)
  const idpClient = readClientRegistration(env, 'AGENT_IDP_CLIENT', { clientId: 'acme-agent-cli', privateJwk: fileKey })
  const authorizationServerClient = readClientRegistration(env, 'AGENT_AS_CLIENT', {
    clientId: 'acme-agent-cli-tasks',
    privateJwk: fileKey,
  })

  const loginTimeoutSeconds = Number(env.AGENT_LOGIN_TIMEOUT_SECONDS ?? 300)
  if (!Number.isFinite(loginTimeoutSeconds) || loginTimeoutSeconds <= 0)
    throw new Error('AGENT_LOGIN_TIMEOUT_SECONDS must be a positive number')
  return {
    ...urls,
    idpClient,
    authorizationServerClient,
    scope: env.AGENT_SCOPE ?? 'tasks.read tasks.write',
    signInScope: env.AGENT_SIGN_IN_SCOPE ?? 'openid profile offline_access',
    stateFile: env.AGENT_STATE_FILE ?? DEFAULT_STATE_FILE,
    loopbackHost: '127.0.0.1',
    loginTimeoutMs: loginTimeoutSeconds * 1000,
    allowInsecureHttp,
  }
}

function readKeyFile(file: string): JWK {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `The agent's private key ${file} does not exist. \`npm start\` creates it (and registers its public half at the IdP and the authorization server); or set AGENT_CLI_KEY_FILE`,
        { cause: error },
      )
    }
    throw new Error(`The agent's private key ${file} cannot be read: ${(error as Error).message}`, { cause: error })
  }
  return parsePrivateJwk(text, `The agent's key file ${file}`)
}
