import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js'
import { formatScope } from '@ema/tokens'
import type { ClientRegistration } from '../config.ts'
import { IdJagOAuthClientProvider } from '../id-jag-oauth-client-provider.ts'
import type { TokenEndpointClient } from './client-authentication.ts'
import { connectMcp, type McpConnection } from './connect-mcp.ts'
import { type AuthorizationServerMetadata, discoverAuthorizationServer } from './discover-authorization-server.ts'
import { discoverProtectedResource, type ProtectedResource } from './discover-protected-resource.ts'
import { type AccessTokenResponse, redeemIdJag } from './redeem-id-jag.ts'
import { type IdJag, requestIdJag } from './request-id-jag.ts'
import type { StepRecorder } from './step.ts'

export interface RunChainOptions {
  /** The MCP server URL the agent is configured with: its resource identifier (CL-03, CL-21). */
  mcpServerUrl: string
  /** If set, the authorization server the protected resource metadata must name (configuration cross-check). */
  expectedAuthorizationServer?: string | undefined
  /** The signed-in user's ID token, the subject token of the token exchange (CL-24). */
  subjectToken: string
  /** The IdP's name in messages, e.g. "Acme SSO". */
  idpName: string
  /** The IdP's token endpoint, or how to look it up; looked up after discovery, right before the token exchange. */
  idpTokenEndpoint: string | (() => Promise<string>)
  /** The client's identification at the IdP for the token exchange (CL-27). */
  idpClient: TokenEndpointClient
  /** The client's registration at the MCP authorization server: the `client_id` the IdP puts in the ID-JAG (CL-37). */
  authorizationServerClient: ClientRegistration
  /** Configured scopes, used when the 401 challenge names none; if absent, the PRM's `scopes_supported` (CL-22). */
  scope?: string | undefined
  /** Shown in messages, e.g. "Tasks". */
  serverName: string
  fetch: typeof fetch
  /** Plain http is refused unless this is true, and even then only to loopback hosts (CL-48). */
  allowInsecureHttp: boolean
  /** Receives every step of the chain. */
  record: StepRecorder
  /** Called once the access token is issued, before the MCP connection is opened. */
  onAccessToken?: (grant: { accessToken: AccessTokenResponse; grantedScope: string | undefined }) => void | Promise<void>
  /** Told about every token set the MCP SDK re-acquires later (RFC 7523 jwt-bearer, CL-44). */
  onTokens?: (tokens: OAuthTokens, authorizationServer: AuthorizationServerMetadata) => void
}

export interface ChainResult {
  /** The open MCP connection with its tool list; the caller closes it. */
  connection: McpConnection
  protectedResource: ProtectedResource
  authorizationServer: AuthorizationServerMetadata
  /** The scope requested from the IdP (CL-22). */
  scope: string | undefined
  idJag: IdJag
  /** The access token redeemed for the ID-JAG (not any later re-acquisition). */
  accessToken: AccessTokenResponse
  /** The scope granted with {@link accessToken}: its `scope`, else the ID-JAG's (CL-31). */
  grantedScope: string | undefined
}

/**
 * The whole Enterprise-Managed Authorization chain, in the spec's order:
 * 1. protected resource metadata (CL-01…CL-03), 2. authorization server metadata (CL-04…CL-07),
 * 3. ID-JAG from the IdP (CL-17…CL-35), 4. access token from the MCP authorization server
 * (CL-36…CL-40), 5. MCP connection and tool list (CL-12, CL-42), with an
 * {@link IdJagOAuthClientProvider} that re-acquires tokens from a fresh ID-JAG (CL-43, CL-44).
 *
 * Does NOT sign a user in (the caller passes the ID token), nor fall back to the interactive flow
 * (CL-09). Every step goes to `record`; the first refusal throws a `FlowError`.
 */
export async function runChain(options: RunChainOptions): Promise<ChainResult> {
  const { record } = options
  const common = { fetch: options.fetch, allowInsecureHttp: options.allowInsecureHttp, record }

  const protectedResource = await discoverProtectedResource({ ...common, mcpServerUrl: options.mcpServerUrl, expectedAuthorizationServer: options.expectedAuthorizationServer })
  const authorizationServer = await discoverAuthorizationServer({ ...common, authorizationServer: protectedResource.authorizationServer })
  const resource = protectedResource.metadata.resource
  // CL-22: the challenge's scope first, else the configured scopes, else PRM scopes_supported, else none.
  const supported = protectedResource.metadata.scopes_supported
  const scope = protectedResource.challengedScope ?? options.scope ?? (supported === undefined ? undefined : formatScope(supported))

  const idpTokenEndpoint = typeof options.idpTokenEndpoint === 'string' ? options.idpTokenEndpoint : await options.idpTokenEndpoint()
  const askIdpForIdJag = async (requestedScope: string | undefined) =>
    requestIdJag({
      ...common,
      idpName: options.idpName,
      tokenEndpoint: idpTokenEndpoint,
      subjectToken: options.subjectToken, // CL-24
      audience: authorizationServer.issuer, // CL-20: the RAS issuer from its verified metadata
      resource, // CL-21
      scope: requestedScope,
      client: options.idpClient,
    })

  const idJag = await askIdpForIdJag(scope)
  const accessToken = await redeemIdJag({
    ...common,
    tokenEndpoint: authorizationServer.token_endpoint,
    idJag: idJag.idJag,
    resource, // CL-39
    scope: idJag.scope, // CL-40
    client: options.authorizationServerClient,
  })
  const grantedScope = accessToken.scope ?? idJag.scope
  await options.onAccessToken?.({ accessToken, grantedScope })

  const { onTokens } = options
  const authProvider = new IdJagOAuthClientProvider({
    authorizationServer: authorizationServer.issuer,
    resource,
    client: options.authorizationServerClient,
    ...(scope === undefined ? {} : { scope }),
    tokens: accessToken, // CL-43: only the token this authorization server just issued
    discoveryState: {
      authorizationServerUrl: authorizationServer.issuer,
      resourceMetadataUrl: protectedResource.metadataUrl,
      resourceMetadata: protectedResource.metadata,
      // Our zod type checks a subset of RFC 8414; the SDK reads only token_endpoint from it here.
      authorizationServerMetadata: authorizationServer as never,
    },
    // CL-44: every re-acquisition (on 401) starts from a fresh ID-JAG, never a stale token.
    requestIdJag: async ({ scope: requestedScope }) => (await askIdpForIdJag(requestedScope)).idJag,
    ...(onTokens === undefined ? {} : { onTokens: (tokens: OAuthTokens) => onTokens(tokens, authorizationServer) }),
  })

  const connection = await connectMcp({ ...common, mcpServerUrl: options.mcpServerUrl, authProvider, serverName: options.serverName })
  return { connection, protectedResource, authorizationServer, scope, idJag, accessToken, grantedScope }
}
