import { type StepRecorder, StepView } from '@ema/chain-steps'
import { asFlowError, type ChainResult, discoverIdp, FlowError, idpTokenEndpoint, runChain } from '@ema/id-jag-client'
import type { AgentConfig } from './agent-config.ts'
import { type AgentState, keepAccessToken } from './agent-state.ts'

/** The names the CLI shows: the demo world's (docs/demo-world.md). */
export const DISPLAY_NAMES = { idpName: 'Acme SSO', serverName: 'Tasks' } as const

/** An ID token with less than this left is not presented: the IdP could see it expired. */
export const ID_TOKEN_EXPIRY_MARGIN_MS = 60_000

/** The subject token of the token exchange, and why it was chosen. */
export interface SubjectTokenChoice {
  token: string
  type: 'id_token' | 'refresh_token'
  reason: string
}

/**
 * CL-45: the ID token while it is fresh (CL-24); once it has expired, the IdP refresh token presented
 * directly as the subject token (the IdP accepts it: IDP-04, IDP-07); with neither, sign in again.
 * @throws {FlowError} `login_required`
 */
export function chooseSubjectToken(state: AgentState, now: number): SubjectTokenChoice {
  if (
    state.idToken !== undefined &&
    state.idTokenExpiresAt !== undefined &&
    state.idTokenExpiresAt - now > ID_TOKEN_EXPIRY_MARGIN_MS
  ) {
    return { token: state.idToken, type: 'id_token', reason: 'the ID token from sign-in is still valid (CL-24)' }
  }
  if (state.refreshToken !== undefined) {
    return {
      token: state.refreshToken,
      type: 'refresh_token',
      reason: 'the ID token has expired, so the IdP refresh token is the subject token (CL-45)',
    }
  }
  throw new FlowError(
    'login_required',
    'Your sign-in has expired and no IdP refresh token was kept; sign in again: npm run agent -- login',
  )
}

export interface ConnectDeps {
  /** `--scope`: ask for exactly these on a fresh exchange (least privilege); a step-up adds to them (CL-46). */
  pinnedScope?: string | undefined
  fetch: typeof fetch
  record: StepRecorder
  now?: () => number
}

/**
 * Runs the whole chain as the signed-in user of `state`, without a login: reuses the kept access
 * token while it is valid; otherwise a fresh ID-JAG from the ID token or the IdP refresh token
 * (CL-44, CL-45) and a fresh access token. Every token the chain obtains, including the SDK's
 * re-acquisitions after a 401 or a step-up (CL-46), is written back to the state file.
 */
export async function connectAsSignedInUser(
  config: AgentConfig,
  state: AgentState,
  deps: ConnectDeps,
): Promise<ChainResult & { subject: SubjectTokenChoice }> {
  const now = deps.now ?? Date.now
  if (state.idpIssuer !== config.idpIssuer || state.clientId !== config.idpClient.clientId) {
    throw new FlowError(
      'login_required',
      `The kept sign-in is for ${state.clientId} at ${state.idpIssuer}, not ${config.idpClient.clientId} at ${config.idpIssuer}; sign in again: npm run agent -- login`,
    )
  }
  const subject = chooseSubjectToken(state, now())
  const clientId = config.authorizationServerClient.clientId
  const keep = (accessToken: NonNullable<AgentState['accessToken']>): void => {
    if (!keepAccessToken(config.stateFile, state, accessToken))
      deps.record({
        title: 'New access token not kept',
        status: 'ok',
        notes: ['the kept sign-in changed meanwhile (a logout or another login)'],
      })
  }
  const kept = state.accessToken
  try {
    const chain = await runChain({
      mcpServer: {
        url: config.mcpServerUrl,
        name: DISPLAY_NAMES.serverName,
        expectedAuthorizationServer: config.expectedAuthorizationServer,
      },
      idp: {
        name: DISPLAY_NAMES.idpName,
        endpoint: async () => {
          deps.record({ title: 'Subject token for the token exchange', status: 'ok', notes: [subject.reason] })
          return idpTokenEndpoint(
            await discoverIdp({ ...config, idpName: DISPLAY_NAMES.idpName }, deps.fetch),
            DISPLAY_NAMES.idpName,
          )
        },
      },
      client: { atIdp: config.idpClient, atAuthorizationServer: config.authorizationServerClient },
      subject: { token: subject.token, type: subject.type },
      scope: config.scope,
      pinnedScope: deps.pinnedScope,
      cachedAccessToken:
        kept === undefined ? undefined : { ...kept, accessToken: kept.token, grantedScope: kept.grantedScope },
      fetch: deps.fetch,
      allowInsecureHttp: config.allowInsecureHttp,
      now,
      observers: {
        traffic: new StepView({ ...DISPLAY_NAMES, mcpServerUrl: config.mcpServerUrl }, deps.record),
        // Every access token: the first one and each one the MCP SDK re-acquires later (CL-44, CL-46).
        onAccessToken: ({ accessToken, grantedScope, authorizationServer, resource }) =>
          keep({
            token: accessToken,
            grantedScope,
            authorizationServer,
            resource,
            clientId,
            expiresAt: now() + (accessToken.expires_in ?? 0) * 1000,
          }),
      },
    })
    return { ...chain, subject }
  } catch (error) {
    throw explainIdpRefusal(error, subject)
  }
}

/**
 * CL-45: the IdP refusing the kept subject token (expired, revoked, or the IdP restarted with new
 * keys) needs a new sign-in; any other refusal, and every refusal from the authorization server or
 * the MCP server, is passed on as is.
 */
export function explainIdpRefusal(error: unknown, subject: SubjectTokenChoice): FlowError {
  const flowError = asFlowError(error)
  if (flowError.refusedBy !== 'idp' || flowError.error !== 'invalid_grant') return flowError
  return new FlowError(
    'login_required',
    `${DISPLAY_NAMES.idpName} no longer accepts the kept ${subject.type === 'refresh_token' ? 'refresh token' : 'ID token'} (${flowError.message}); sign in again: npm run agent -- login`,
    { cause: error },
  )
}
