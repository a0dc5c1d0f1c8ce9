import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { decodeJwt } from 'jose'
import { type Env } from '../config.ts'
import { callMcpTool } from '../flow/connect-mcp.ts'
import { asFlowError, FlowError } from '../flow/flow-error.ts'
import { formatStepLine } from '../flow/format-step-line.ts'
import { type AgentConfig, loadAgentConfig } from './agent-config.ts'
import { type AgentState, deleteAgentState, readAgentState, writeAgentState } from './agent-state.ts'
import { connectAsSignedInUser } from './connect-as-signed-in-user.ts'
import { signInThroughBrowser } from './sign-in-through-browser.ts'

export const USAGE = `Acme Agent CLI: the Enterprise-Managed Authorization chain without a browser at hand.

Usage: npm run agent -- <command>

  login               sign in once through the browser (loopback redirect); keeps the IdP refresh token
  login --id-token    take an ID token from standard input instead (no refresh token: sign in again when it expires)
  status              who is signed in and what is kept (never the tokens themselves)
  tools               list the MCP server's tools
  call <tool> [json]  call a tool, e.g.  call whoami   call add_task '{"title":"Ship it"}'
    --scope "<scopes>"  (before the tool) ask only for these on a new exchange; a tool that needs
                        more gets it by a step-up, which adds the missing scopes (CL-46)
  logout              forget the kept sign-in and tokens

Later runs need no login: a kept access token is reused until it expires, then a fresh ID-JAG comes
from the ID token or, once that expired, from the IdP refresh token (CL-45).`

export interface AgentIo {
  env: Env
  fetch: typeof fetch
  /** Results (tool output), for pipes. */
  out: (text: string) => void
  /** Progress: one line per step of the chain, and errors. No credential is ever written (CL-34). */
  err: (text: string) => void
  openUrl: (url: string) => void
  readStdin: () => Promise<string>
  now?: () => number
}

/** Runs one CLI command; returns the process exit code (0 ok, 1 refused or failed, 2 usage). */
export async function runAgentCommand(argv: readonly string[], io: AgentIo): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE)
    return command === undefined ? 2 : 0
  }
  let config: AgentConfig
  try {
    config = loadAgentConfig(io.env)
  } catch (error) {
    io.err(`Configuration error: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
  try {
    switch (command) {
      case 'login':
        return await login(config, rest, io)
      case 'status':
        return await status(config, io)
      case 'logout':
        io.out((await deleteAgentState(config.stateFile)) ? 'Signed out: the kept sign-in and tokens are deleted.' : 'Not signed in.')
        return 0
      case 'tools':
      case 'call':
        return await useTools(config, command, rest, io)
      default:
        io.err(`Unknown command "${command}".\n\n${USAGE}`)
        return 2
    }
  } catch (error) {
    const flowError = asFlowError(error)
    io.err(`Refused (${flowError.error}): ${flowError.message}`)
    return 1
  }
}

async function login(config: AgentConfig, args: readonly string[], io: AgentIo): Promise<number> {
  const now = io.now ?? Date.now
  if (args[0] === '--id-token') {
    const idToken = (await io.readStdin()).trim()
    const state = stateFromIdToken(config, idToken, now())
    writeAgentState(config.stateFile, state)
    io.out(`Signed in as ${state.user.sub} with the given ID token (valid for ${Math.round((state.idTokenExpiresAt! - now()) / 60_000)} min; no refresh token, so sign in again after that).`)
    return 0
  }
  if (args.length > 0) throw new FlowError('invalid_request', `login takes no arguments except --id-token, got "${args.join(' ')}"`)
  const result = await signInThroughBrowser(config, {
    fetch: io.fetch,
    openUrl: (url) => {
      io.err(`Open this URL in a browser to sign in with Acme SSO:\n\n  ${url}\n\nWaiting for the sign-in to come back to this terminal…`)
      io.openUrl(url)
    },
  })
  writeAgentState(config.stateFile, {
    version: 1,
    idpIssuer: config.idpIssuer,
    clientId: config.idpClient.clientId,
    user: result.user,
    idToken: result.idToken,
    idTokenExpiresAt: result.idTokenExpiresAt,
    ...(result.refreshToken === undefined ? {} : { refreshToken: result.refreshToken }),
  })
  const who = result.user.name === undefined ? result.user.sub : `${result.user.name} (${result.user.username ?? result.user.sub})`
  io.out(`Signed in as ${who}.`)
  io.out(result.refreshToken === undefined
    ? 'Acme SSO issued no refresh token: once the ID token expires, sign in again.'
    : `Kept the IdP refresh token in ${config.stateFile} (mode 0600): later runs get a fresh ID-JAG without a login (CL-45).`)
  return 0
}

/**
 * An ID token handed over on stdin. Its signature is not checked here: the IdP verifies it at the
 * token exchange (IDP-05, IDP-06). Only what would make the exchange fail for sure is refused early.
 */
function stateFromIdToken(config: AgentConfig, idToken: string, now: number): AgentState {
  let claims: ReturnType<typeof decodeJwt>
  try {
    claims = decodeJwt(idToken)
  } catch {
    throw new FlowError('invalid_request', 'Standard input does not hold an ID token (a JWT)')
  }
  if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') throw new FlowError('invalid_request', 'The ID token has no sub or exp')
  if (claims.exp * 1000 <= now) throw new FlowError('invalid_request', 'The ID token has expired')
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (!audiences.includes(config.idpClient.clientId)) {
    throw new FlowError('invalid_request', `The ID token was issued to ${audiences.join(', ')}, not to ${config.idpClient.clientId}; the IdP would refuse to exchange it (IDP-06)`)
  }
  return { version: 1, idpIssuer: config.idpIssuer, clientId: config.idpClient.clientId, user: { sub: claims.sub }, idToken, idTokenExpiresAt: claims.exp * 1000 }
}

async function status(config: AgentConfig, io: AgentIo): Promise<number> {
  const now = (io.now ?? Date.now)()
  const state = await readAgentState(config.stateFile)
  if (state === undefined) {
    io.out('Not signed in: npm run agent -- login')
    return 1
  }
  const minutes = (at: number) => `${Math.round((at - now) / 60_000)} min`
  io.out(`Signed in as ${state.user.name ?? state.user.sub}${state.user.username === undefined ? '' : ` (${state.user.username})`} at ${state.idpIssuer} as client ${state.clientId}`)
  io.out(`ID token: ${state.idTokenExpiresAt === undefined ? 'none' : state.idTokenExpiresAt > now ? `expires in ${minutes(state.idTokenExpiresAt)}` : 'expired'}`)
  io.out(`IdP refresh token: ${state.refreshToken === undefined ? 'none' : 'kept'}`)
  const access = state.accessToken
  io.out(`Access token: ${access === undefined ? 'none' : `for ${access.resource}, scope "${access.grantedScope ?? ''}", ${access.expiresAt > now ? `expires in ${minutes(access.expiresAt)}` : 'expired'}`}`)
  return 0
}

async function useTools(config: AgentConfig, command: 'tools' | 'call', allArgs: readonly string[], io: AgentIo): Promise<number> {
  const scopeFlag = allArgs[0] === '--scope'
  const pinnedScope = scopeFlag ? allArgs[1] : undefined
  if (scopeFlag && (pinnedScope === undefined || pinnedScope.trim() === '')) throw new FlowError('invalid_request', '--scope needs a value, e.g. --scope "tasks.read"')
  const [tool, json, ...extra] = scopeFlag ? allArgs.slice(2) : allArgs
  if (extra.length > 0 || (command === 'tools' && tool !== undefined)) throw new FlowError('invalid_request', `Unexpected arguments: ${extra.join(' ') || tool}\n\n${USAGE}`)
  if (command === 'call' && tool === undefined) throw new FlowError('invalid_request', 'call needs a tool name, e.g. npm run agent -- call whoami')
  const toolArguments = json === undefined ? {} : parseArguments(json)
  const state = await readAgentState(config.stateFile)
  if (state === undefined) throw new FlowError('login_required', 'Not signed in: npm run agent -- login')
  const record = (step: Parameters<typeof formatStepLine>[0]) => io.err(formatStepLine(step))
  const chain = await connectAsSignedInUser(config, state, { fetch: io.fetch, record, pinnedScope, ...(io.now === undefined ? {} : { now: io.now }) })
  const { connection } = chain
  try {
    if (command === 'tools') {
      for (const listed of connection.tools) io.out(`${listed.name}${listed.description === undefined ? '' : `: ${listed.description}`}`)
      return 0
    }
    const result: CallToolResult = await callMcpTool(connection, tool!, toolArguments, { record, grantedScope: chain.grantedScope })
    for (const item of result.content) io.out(item.type === 'text' ? item.text : JSON.stringify(item))
    return result.isError === true ? 1 : 0
  } finally {
    await connection.close().catch(() => {})
  }
}

function parseArguments(json: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new FlowError('invalid_request', `The tool arguments are not JSON: ${json}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FlowError('invalid_request', 'The tool arguments must be a JSON object, e.g. {"title":"Ship it"}')
  return value as Record<string, unknown>
}
