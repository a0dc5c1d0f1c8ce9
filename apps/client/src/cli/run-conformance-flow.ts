import { formatScope, redact } from '@ema/tokens'
import type { ClientRegistration } from '../config.ts'
import type { PublicClientIdentification } from '../flow/client-authentication.ts'
import { callMcpTool, connectMcp } from '../flow/connect-mcp.ts'
import { discoverAuthorizationServer } from '../flow/discover-authorization-server.ts'
import { discoverProtectedResource } from '../flow/discover-protected-resource.ts'
import { redeemIdJag } from '../flow/redeem-id-jag.ts'
import { requestIdJag } from '../flow/request-id-jag.ts'
import type { StepRecorder } from '../flow/step.ts'
import { IdJagOAuthClientProvider } from '../id-jag-oauth-client-provider.ts'
import type { ConformanceContext } from './conformance-context.ts'

/** The tool the conformance MCP server offers; called when listed. */
export const CONFORMANCE_TOOL = 'test-tool'

export interface RunConformanceFlowOptions {
  /** The MCP server URL the suite passed as the last argument: the resource identifier (CL-03). */
  mcpServerUrl: string
  context: ConformanceContext
  fetch: typeof fetch
  /** Plain http is refused unless this is true, and even then only to loopback hosts (CL-48). */
  allowInsecureHttp: boolean
  record: StepRecorder
}

export interface ConformanceFlowResult {
  tools: string[]
  /** The tool that was called, if the server listed {@link CONFORMANCE_TOOL}. */
  calledTool: string | undefined
  /** `redact(access token)`: safe to print (CL-34). */
  accessTokenPreview: string
}

/**
 * Runs the whole Enterprise-Managed Authorization chain headlessly with the app's own flow functions,
 * in the spec's order: protected resource metadata (CL-01…CL-03) → authorization server metadata
 * (CL-04…CL-07) → ID-JAG from the IdP with the context's ID token (CL-17…CL-25, CL-27) → access token
 * from the MCP authorization server with client_secret_basic (CL-36…CL-40) → MCP connection,
 * `tools/list` and `tools/call` (CL-12, CL-42).
 *
 * Does NOT sign a user in: the context carries the ID token. Does NOT fall back to the interactive
 * flow (CL-09). Every step goes to `record`; the first refusal throws a `FlowError`.
 */
export async function runConformanceFlow(options: RunConformanceFlowOptions): Promise<ConformanceFlowResult> {
  const { context, record } = options
  const common = { fetch: options.fetch, allowInsecureHttp: options.allowInsecureHttp, record }

  const protectedResource = await discoverProtectedResource({ ...common, mcpServerUrl: options.mcpServerUrl })
  const authorizationServer = await discoverAuthorizationServer({ ...common, authorizationServer: protectedResource.authorizationServer })
  const resource = protectedResource.metadata.resource
  // CL-22: the challenge's scope, else PRM scopes_supported, else none (the suite advertises none).
  const supported = protectedResource.metadata.scopes_supported
  const scope = protectedResource.challengedScope ?? (supported === undefined ? undefined : formatScope(supported))

  // CL-27 is conditional: the suite's IdP requires no client authentication and gives no secret.
  const idpClient: PublicClientIdentification = { clientId: context.idp_client_id, authMethod: 'none' }
  // CL-37: the registration whose client_id the IdP puts in the ID-JAG; the suite requires client_secret_basic.
  const authorizationServerClient: ClientRegistration = { clientId: context.client_id, clientSecret: context.client_secret, authMethod: 'client_secret_basic' }

  const askIdpForIdJag = async (requestedScope: string | undefined) =>
    requestIdJag({
      ...common,
      idpName: 'Conformance IdP',
      tokenEndpoint: context.idp_token_endpoint,
      subjectToken: context.idp_id_token, // CL-24
      audience: authorizationServer.issuer, // CL-20
      resource, // CL-21
      scope: requestedScope,
      client: idpClient,
    })

  const idJag = await askIdpForIdJag(scope)
  const accessToken = await redeemIdJag({
    ...common,
    tokenEndpoint: authorizationServer.token_endpoint,
    idJag: idJag.idJag,
    resource, // CL-39
    scope: idJag.scope, // CL-40
    client: authorizationServerClient,
  })

  const authProvider = new IdJagOAuthClientProvider({
    authorizationServer: authorizationServer.issuer,
    resource,
    client: authorizationServerClient,
    ...(scope === undefined ? {} : { scope }),
    tokens: accessToken, // CL-43: only the token this authorization server just issued
    discoveryState: {
      authorizationServerUrl: authorizationServer.issuer,
      resourceMetadataUrl: protectedResource.metadataUrl,
      resourceMetadata: protectedResource.metadata,
      // Our zod type checks a subset of RFC 8414; the SDK reads only token_endpoint from it here.
      authorizationServerMetadata: authorizationServer as never,
    },
    // CL-44: a re-acquisition on 401 starts from a fresh ID-JAG, never a stale token.
    requestIdJag: async ({ scope: requestedScope }) => (await askIdpForIdJag(requestedScope)).idJag,
  })

  const connection = await connectMcp({ ...common, mcpServerUrl: options.mcpServerUrl, authProvider, serverName: 'conformance' })
  try {
    const tools = connection.tools.map((tool) => tool.name)
    const calledTool = tools.includes(CONFORMANCE_TOOL) ? CONFORMANCE_TOOL : undefined
    if (calledTool !== undefined) {
      const result = await callMcpTool(connection, calledTool, {}, { record, grantedScope: accessToken.scope ?? idJag.scope })
      if (result.isError === true) throw new Error(`the MCP server answered ${calledTool} with isError: true`)
    }
    return { tools, calledTool, accessTokenPreview: redact(accessToken.access_token) }
  } finally {
    await connection.close().catch(() => {})
  }
}
