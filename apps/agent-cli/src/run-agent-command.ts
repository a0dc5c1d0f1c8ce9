import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import {
  asFlowError,
  callMcpTool,
  FlowError,
  type SignInResult,
  stepUpSignInFor,
  type StepUpSignIn,
} from '@ema/id-jag-client'
import { formatStepLine, type Step } from '@ema/chain-steps'
import type { Env } from '@ema/server-kit'
import { type AgentConfig, loadAgentConfig } from './agent-config.ts'
import { type AgentState, deleteAgentState, readAgentState, writeAgentState } from './agent-state.ts'
import { connectAsSignedInUser, explainIdpRefusal } from './connect-as-signed-in-user.ts'
import { type AgentCommand, parseAgentArguments } from './parse-agent-arguments.ts'
import { signInThroughBrowser } from './sign-in-through-browser.ts'
import { stateFromIdToken } from './state-from-id-token.ts'
import { describeDownstreamTrace } from './describe-downstream-trace.ts'

const USAGE = `Acme Agent CLI: the Enterprise-Managed Authorization chain without a browser at hand.

Usage: npm run agent -- <command>

  login               sign in once through the browser (loopback redirect); keeps the IdP refresh token
  login --id-token    take an ID token from standard input instead (no refresh token: sign in again when it expires)
  status              who is signed in and what is kept (never the tokens themselves)
  tools               list the MCP server's tools
  call <tool> [json]  call a tool, e.g.  call whoami   call add_task '{"title":"Ship it"}'
  --scope "<scopes>"  (with tools or call) ask only for these on a new exchange (least privilege);
                      a tool that needs more gets it by a step-up, which adds the missing scopes
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
  let command: AgentCommand
  try {
    command = parseAgentArguments(argv)
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
    return 2
  }
  if (command.name === 'help') {
    io.out(USAGE)
    return argv.length === 0 ? 2 : 0
  }
  let config: AgentConfig
  try {
    config = loadAgentConfig(io.env)
  } catch (error) {
    io.err(`Configuration error: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
  try {
    switch (command.name) {
      case 'login':
        return await login(config, command.idTokenFromStdin, io)
      case 'status':
        return await status(config, io)
      case 'logout':
        io.out(
          (await deleteAgentState(config.stateFile))
            ? 'Signed out: the kept sign-in and tokens are deleted.'
            : 'Not signed in.',
        )
        return 0
      case 'tools':
      case 'call':
        return await useTools(config, command, io)
    }
  } catch (error) {
    const flowError = asFlowError(error)
    io.err(`Refused (${flowError.error}): ${flowError.message}`)
    return 1
  }
}

async function login(config: AgentConfig, idTokenFromStdin: boolean, io: AgentIo): Promise<number> {
  const now = io.now ?? Date.now
  if (idTokenFromStdin) {
    const idToken = (await io.readStdin()).trim()
    const state = stateFromIdToken(config, idToken, now())
    writeAgentState(config.stateFile, state)
    io.out(
      `Signed in as ${state.user.sub} with the given ID token (valid for ${Math.round((state.idTokenExpiresAt! - now()) / 60_000)} min; no refresh token, so sign in again after that).`,
    )
    return 0
  }
  const result = await browserSignIn(config, io)
  const who =
    result.user.name === undefined
      ? result.user.sub
      : `${result.user.name} (${result.user.username ?? result.user.sub})`
  io.out(`Signed in as ${who}.`)
  io.out(
    result.refreshToken === undefined
      ? 'Acme SSO issued no refresh token: once the ID token expires, sign in again.'
      : `Kept the IdP refresh token in ${config.stateFile} (mode 0600): later runs get a fresh ID-JAG without a login (CL-45).`,
  )
  return 0
}

/** Signs in through the system browser (a step-up adds `max_age`, IDP-56) and keeps the result in the state file. */
async function browserSignIn(config: AgentConfig, io: AgentIo, stepUp?: StepUpSignIn): Promise<SignInResult> {
  const result = await signInThroughBrowser(
    config,
    {
      fetch: io.fetch,
      openUrl: (url) => {
        io.err(
          `Open this URL in a browser to sign in with Acme SSO:\n\n  ${url}\n\nWaiting for the sign-in to come back to this terminal…`,
        )
        io.openUrl(url)
      },
    },
    stepUp,
  )
  writeAgentState(config.stateFile, {
    version: 1,
    idpIssuer: config.idpIssuer,
    clientId: config.idpClient.clientId,
    user: result.user,
    idToken: result.idToken,
    idTokenExpiresAt: result.idTokenExpiresAt,
    ...(result.refreshToken === undefined ? {} : { refreshToken: result.refreshToken }),
  })
  return result
}

async function status(config: AgentConfig, io: AgentIo): Promise<number> {
  const now = (io.now ?? Date.now)()
  const state = await readAgentState(config.stateFile)
  if (state === undefined) {
    io.out('Not signed in: npm run agent -- login')
    return 1
  }
  const minutes = (at: number) => `${Math.round((at - now) / 60_000)} min`
  io.out(
    `Signed in as ${state.user.name ?? state.user.sub}${state.user.username === undefined ? '' : ` (${state.user.username})`} at ${state.idpIssuer} as client ${state.clientId}`,
  )
  io.out(
    `ID token: ${state.idTokenExpiresAt === undefined ? 'none' : state.idTokenExpiresAt > now ? `expires in ${minutes(state.idTokenExpiresAt)}` : 'expired'}`,
  )
  io.out(`IdP refresh token: ${state.refreshToken === undefined ? 'none' : 'kept'}`)
  const access = state.accessToken
  io.out(
    `Access token: ${access === undefined ? 'none' : `for ${access.resource}, scope "${access.grantedScope ?? ''}", ${access.expiresAt > now ? `expires in ${minutes(access.expiresAt)}` : 'expired'}`}`,
  )
  return 0
}

async function useTools(
  config: AgentConfig,
  command: Extract<AgentCommand, { name: 'tools' | 'call' }>,
  io: AgentIo,
): Promise<number> {
  let state = await readAgentState(config.stateFile)
  if (state === undefined) throw new FlowError('login_required', 'Not signed in: npm run agent -- login')
  const record = (step: Step) => io.err(formatStepLine(step))
  const connect = (signedIn: AgentState) =>
    connectAsSignedInUser(config, signedIn, {
      fetch: io.fetch,
      record,
      pinnedScope: command.pinnedScope,
      ...(io.now === undefined ? {} : { now: io.now }),
    })
  let chain: Awaited<ReturnType<typeof connect>>
  try {
    chain = await connect(state)
  } catch (error) {
    // CL-35, IDP-56: Acme SSO wants a more recent sign-in (a sensitive scope): sign in again with its
    // max_age through the browser, then retry once; a second refusal is reported as it is.
    const stepUp = stepUpSignInFor(error)
    if (stepUp === undefined) throw error
    io.err(
      `Acme SSO asks for a fresh sign-in${stepUp.maxAge === undefined ? '' : ` (at most ${stepUp.maxAge} s old)`} before it issues this ID-JAG: ${error instanceof Error ? error.message : String(error)}`,
    )
    await browserSignIn(config, io, stepUp)
    state = await readAgentState(config.stateFile)
    if (state === undefined)
      throw new FlowError('login_required', 'The step-up sign-in was not kept; sign in again: npm run agent -- login')
    chain = await connect({ ...state, accessToken: undefined }).catch((retryError: unknown) => {
      // CL-35: one step-up per run. A second refusal is told as such, never answered with another sign-in.
      if (stepUpSignInFor(retryError) === undefined) throw retryError
      const refusal = asFlowError(retryError)
      throw new FlowError(
        refusal.error,
        `still refused after a fresh sign-in; the agent does not ask again in this run (ask the administrator about the policy): ${refusal.message}`,
        { cause: retryError, refusedBy: refusal.refusedBy, status: refusal.status },
      )
    })
  }
  const { connection } = chain
  try {
    if (command.name === 'tools') {
      for (const listed of connection.tools)
        io.out(`${listed.name}${listed.description === undefined ? '' : `: ${listed.description}`}`)
      return 0
    }
    const result: CallToolResult = await callMcpTool(connection, command.tool, command.arguments, {
      grantedScope: chain.grantedScope,
    }).catch((error: unknown) => {
      throw explainIdpRefusal(error, chain.subject)
    }) // a re-acquisition during the call
    for (const item of result.content) io.out(item.type === 'text' ? item.text : JSON.stringify(item))
    for (const line of describeDownstreamTrace(result._meta)) io.err(line) // the second hop, when the server reports it
    return result.isError === true ? 1 : 0
  } finally {
    await connection.close().catch(() => {})
  }
}
