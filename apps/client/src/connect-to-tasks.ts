import type { ClientConfig } from './config.ts'
import { decodedToken, runChain, type StepRecorder } from '@ema/id-jag-client'
import type { Session } from './session-store.ts'
import type { SignIn } from './sign-in.ts'

export interface ConnectToTasksDeps {
  fetch: typeof fetch
  signIn: SignIn
}

/**
 * The whole chain (`runChain`) for one signed-in session: protected resource metadata, authorization
 * server metadata, ID-JAG from Acme SSO, access token from the MCP authorization server, and the MCP
 * connection with its tool list. Each step is appended to `session.steps`; the connection, tools and
 * granted scope are kept in the session. Throws a `FlowError` on the first refusal.
 */
export async function connectToTasks(session: Session, config: ClientConfig, deps: ConnectToTasksDeps): Promise<void> {
  const idToken = session.idToken
  if (idToken === undefined) throw new Error('not signed in')
  const record: StepRecorder = (step) => session.steps.push(step)

  const { connection } = await runChain({
    mcpServerUrl: config.mcpServerUrl,
    expectedAuthorizationServer: config.expectedAuthorizationServer,
    subjectToken: idToken,
    idpName: 'Acme SSO',
    idp: () => deps.signIn.tokenEndpoint(),
    idpClient: config.idpClient,
    authorizationServerClient: config.authorizationServerClient,
    scope: config.scope,
    serverName: 'Tasks',
    fetch: deps.fetch,
    allowInsecureHttp: config.allowInsecureHttp,
    record,
    onAccessToken: async ({ grantedScope }) => {
      session.grantedScope = grantedScope
      await session.mcp?.close().catch(() => {})
      delete session.mcp
    },
    onTokens: (tokens, authorizationServer) => {
      session.grantedScope = tokens.scope ?? session.grantedScope
      record({
        title: 'Access token re-acquired by the MCP SDK (RFC 7523 jwt-bearer)',
        status: 'ok',
        request: { method: 'POST', url: authorizationServer.token_endpoint },
        tokens: decodedToken('Access token', tokens.access_token),
      })
    },
  })
  session.mcp = connection
  session.tools = connection.tools
}
