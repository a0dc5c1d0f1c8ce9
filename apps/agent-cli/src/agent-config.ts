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
import { type ClientRegistration, readClientRegistration } from '@ema/id-jag-client'
import { type Env, firstIssue, parseJson, PrivateJwk, readUrl, type ReadUrlOptions } from '@ema/server-kit'
import type { JWK } from 'jose'
import { z } from 'zod'

export interface AgentConfig {
  /** CL-10: the enterprise IdP the organisation configured (no IdP discovery). Env `IDP_ISSUER`, default `http://localhost:4001`. */
  idpIssuer: string
  /** CL-03, CL-21: the MCP server's RFC 9728 resource identifier. Env `RS_RESOURCE`, default `http://localhost:4003/mcp`. */
  mcpServerUrl: string
  /**
   * The MCP authorization server the protected resource metadata must name. Env `AS_ISSUER`, default
   * `http://localhost:4002`; set it empty to accept the first one the metadata lists.
   */
  expectedAuthorizationServer: string | undefined
  /**
   * CL-27: the registration at the IdP (sign-in and the token exchange). Env `AGENT_IDP_CLIENT_ID`,
   * `_SECRET`, `_PRIVATE_JWK`, `_AUTH_METHOD`; default `acme-agent-cli` with the key of `AGENT_CLI_KEY_FILE`.
   */
  idpClient: ClientRegistration
  /** CL-37: the registration at the MCP authorization server. Env `AGENT_AS_CLIENT_*`; default `acme-agent-cli-tasks`, same key. */
  authorizationServerClient: ClientRegistration
  /** CL-22, CL-40: the scopes asked for at the MCP server. Env `AGENT_SCOPE`, default `tasks.read tasks.write`. */
  scope: string
  /**
   * CL-45: the scopes asked for at sign-in. Env `AGENT_SIGN_IN_SCOPE`, default `openid profile
   * offline_access`: the IdP refresh token is kept for later runs.
   */
  signInScope: string
  /** CL-48: env `ALLOW_INSECURE_HTTP=true`: plain http to loopback hosts (decision 0024). Default off: https only. */
  allowInsecureHttp: boolean
  /** Where the signed-in state (IdP refresh token, ID token, access token) is kept. Env `AGENT_STATE_FILE`, default `.demo/agent-cli-state.json`. */
  stateFile: string
  /** RFC 8252 §7.3: the loopback address the sign-in redirect comes back to (an IP literal, not "localhost"). */
  loopbackHost: string
  /** How long `login` waits for the browser. Env `AGENT_LOGIN_TIMEOUT_SECONDS`, default 300. */
  loginTimeoutMs: number
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
/** Where `npm start` writes this checkout's CLI key pair (scripts/start.ts). */
const DEFAULT_KEY_FILE = path.join(repoRoot, '.demo', 'agent-cli-key.json')
const DEFAULT_STATE_FILE = path.join(repoRoot, '.demo', 'agent-cli-state.json')

const Settings = z.object({
  AGENT_LOGIN_TIMEOUT_SECONDS: z.coerce.number().positive('must be a positive number').default(300),
})

/** Reads and checks the configuration. @throws {TypeError} one line naming the variable at fault. */
export function loadAgentConfig(env: Env): AgentConfig {
  const settings = Settings.safeParse(env)
  if (!settings.success) throw new TypeError(firstIssue(settings.error))
  const urls: ReadUrlOptions = { allowInsecureHttp: env.ALLOW_INSECURE_HTTP === 'true' }
  // One key pair, read once, serves both registrations unless each is given its own credential.
  const ownCredential = (prefix: string) =>
    env[`${prefix}_PRIVATE_JWK`] !== undefined || env[`${prefix}_SECRET`] !== undefined
  const key =
    ownCredential('AGENT_IDP_CLIENT') && ownCredential('AGENT_AS_CLIENT')
      ? undefined
      : readKeyFile(env.AGENT_CLI_KEY_FILE ?? DEFAULT_KEY_FILE)
  return {
    idpIssuer: readUrl(env, 'IDP_ISSUER', 'http://localhost:4001', urls),
    mcpServerUrl: readUrl(env, 'RS_RESOURCE', 'http://localhost:4003/mcp', urls),
    expectedAuthorizationServer:
      env.AS_ISSUER === '' ? undefined : readUrl(env, 'AS_ISSUER', 'http://localhost:4002', urls),
    idpClient: readClientRegistration(env, 'AGENT_IDP_CLIENT', { clientId: 'acme-agent-cli', privateJwk: key }),
    authorizationServerClient: readClientRegistration(env, 'AGENT_AS_CLIENT', {
      clientId: 'acme-agent-cli-tasks',
      privateJwk: key,
    }),
    scope: env.AGENT_SCOPE ?? 'tasks.read tasks.write',
    signInScope: env.AGENT_SIGN_IN_SCOPE ?? 'openid profile offline_access',
    stateFile: env.AGENT_STATE_FILE ?? DEFAULT_STATE_FILE,
    loopbackHost: '127.0.0.1',
    loginTimeoutMs: settings.data.AGENT_LOGIN_TIMEOUT_SECONDS * 1000,
    allowInsecureHttp: urls.allowInsecureHttp,
  }
}

/** The CLI's private key, from the file `npm start` writes (or AGENT_CLI_KEY_FILE). */
function readKeyFile(file: string): JWK {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new TypeError(
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? `The agent's private key ${file} does not exist. \`npm start\` creates it (and registers its public half at the IdP and the authorization server); or set AGENT_CLI_KEY_FILE`
        : `The agent's private key ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: error },
    )
  }
  return parseJson(text, `The agent's key file ${file}`, PrivateJwk) as JWK
}
