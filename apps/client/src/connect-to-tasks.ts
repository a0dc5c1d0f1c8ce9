import { StepView } from '@ema/chain-steps'
import { runChain } from '@ema/id-jag-client'
import type { ClientConfig } from './config.ts'
import type { Session } from './session-store.ts'
import type { SignIn } from './sign-in.ts'

export interface ConnectToTasksDeps {
  fetch: typeof fetch
  signIn: SignIn
}

/** The names the page shows: the demo world's (docs/demo-world.md). */
export const DISPLAY_NAMES = { idpName: 'Acme SSO', serverName: 'Tasks' } as const

/**
 * The whole chain (`runChain`) for one signed-in session: protected resource metadata, authorization
 * server metadata, ID-JAG from Acme SSO, access token from the MCP authorization server, and the MCP
 * connection with its tool list. Each step, built from the recorded traffic, is appended to
 * `session.steps`; the connection, tools and granted scope are kept in the session. Throws a
 * `FlowError` on the first refusal.
 */
export async function connectToTasks(session: Session, config: ClientConfig, deps: ConnectToTasksDeps): Promise<void> {
  const idToken = session.idToken
  if (idToken === undefined) throw new Error('not signed in')
  await session.mcp?.close().catch(() => {})
  delete session.mcp

  const { connection } = await runChain({
    mcpServer: {
      url: config.mcpServerUrl,
      name: DISPLAY_NAMES.serverName,
      expectedAuthorizationServer: config.expectedAuthorizationServer,
    },
    idp: { name: DISPLAY_NAMES.idpName, endpoint: () => deps.signIn.tokenEndpoint() },
    client: { atIdp: config.idpClient, atAuthorizationServer: config.authorizationServerClient },
    subject: { token: idToken },
    scope: config.scope,
    fetch: deps.fetch,
    allowInsecureHttp: config.allowInsecureHttp,
    observers: {
      traffic: new StepView({ ...DISPLAY_NAMES, mcpServerUrl: config.mcpServerUrl }, (step) =>
        session.steps.push(step),
      ),
      // Every access token, the first and each one the SDK re-acquires later (CL-44, CL-46).
      onAccessToken: ({ grantedScope }) => {
        session.grantedScope = grantedScope
      },
    },
  })
  session.mcp = connection
  session.tools = connection.tools
}
