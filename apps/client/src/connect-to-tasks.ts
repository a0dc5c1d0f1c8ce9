import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js'
import type { ClientConfig } from './config.ts'
import { connectMcp } from './flow/connect-mcp.ts'
import { discoverAuthorizationServer } from './flow/discover-authorization-server.ts'
import { discoverProtectedResource } from './flow/discover-protected-resource.ts'
import { redeemIdJag } from './flow/redeem-id-jag.ts'
import { requestIdJag } from './flow/request-id-jag.ts'
import { decodedToken, type StepRecorder } from './flow/step.ts'
import { IdJagOAuthClientProvider } from './id-jag-oauth-client-provider.ts'
import type { Session } from './session-store.ts'
import type { SignIn } from './sign-in.ts'

export interface ConnectToTasksDeps {
  fetch: typeof fetch
  signIn: SignIn
}

/**
 * The whole chain for one signed-in session, in the spec's order:
 * 1. protected resource metadata (CL-01…CL-03), 2. authorization server metadata (CL-04…CL-07),
 * 3. ID-JAG from the IdP (CL-17…CL-35), 4. access token from the MCP authorization server
 * (CL-36…CL-40), 5. MCP connection and tool list (CL-12, CL-42).
 * Each step is appended to `session.steps`. Throws a `FlowError` on the first refusal.
 */
export async function connectToTasks(session: Session, config: ClientConfig, deps: ConnectToTasksDeps): Promise<void> {
  const idToken = session.idToken
  if (idToken === undefined) throw new Error('not signed in')
  const record: StepRecorder = (step) => session.steps.push(step)
  const common = { fetch: deps.fetch, allowInsecureHttp: config.allowInsecureHttp, record }

  const protectedResource = await discoverProtectedResource({ ...common, mcpServerUrl: config.mcpServerUrl, expectedAuthorizationServer: config.expectedAuthorizationServer })
  const authorizationServer = await discoverAuthorizationServer({ ...common, authorizationServer: protectedResource.authorizationServer })
  // CL-22: the challenge's scope first, else the configured scopes.
  const scope = protectedResource.challengedScope ?? config.scope

  const idpTokenEndpoint = await deps.signIn.tokenEndpoint()
  const askIdpForIdJag = async (requestedScope: string | undefined) =>
    requestIdJag({
      ...common,
      idpName: 'Acme SSO',
      tokenEndpoint: idpTokenEndpoint,
      subjectToken: idToken,
      audience: authorizationServer.issuer, // CL-20: the RAS issuer from its verified metadata
      resource: protectedResource.metadata.resource, // CL-21
      scope: requestedScope,
      client: config.idpClient,
    })

  const idJag = await askIdpForIdJag(scope)
  const accessToken = await redeemIdJag({
    ...common,
    tokenEndpoint: authorizationServer.token_endpoint,
    idJag: idJag.idJag,
    resource: protectedResource.metadata.resource,
    scope: idJag.scope,
    client: config.authorizationServerClient,
  })
  session.grantedScope = accessToken.scope ?? idJag.scope

  const authProvider = new IdJagOAuthClientProvider({
    authorizationServer: authorizationServer.issuer,
    resource: protectedResource.metadata.resource,
    client: config.authorizationServerClient,
    scope,
    tokens: accessToken,
    discoveryState: {
      authorizationServerUrl: authorizationServer.issuer,
      resourceMetadataUrl: protectedResource.metadataUrl,
      resourceMetadata: protectedResource.metadata,
      // Our zod type checks a subset of RFC 8414; the SDK reads only token_endpoint from it here.
      authorizationServerMetadata: authorizationServer as never,
    },
    // CL-44: every re-acquisition starts from a fresh ID-JAG.
    requestIdJag: async ({ scope: requestedScope }) => (await askIdpForIdJag(requestedScope)).idJag,
    onTokens: (tokens: OAuthTokens) => {
      session.grantedScope = tokens.scope ?? session.grantedScope
      record({
        title: 'Access token re-acquired by the MCP SDK (RFC 7523 jwt-bearer)',
        status: 'ok',
        request: { method: 'POST', url: authorizationServer.token_endpoint },
        tokens: decodedToken('Access token', tokens.access_token),
      })
    },
  })

  await session.mcp?.close().catch(() => {})
  delete session.mcp
  const connection = await connectMcp({ ...common, mcpServerUrl: config.mcpServerUrl, authProvider, serverName: 'Tasks' })
  session.mcp = connection
  session.tools = connection.tools
}
