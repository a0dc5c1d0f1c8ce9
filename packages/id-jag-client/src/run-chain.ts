import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js'
import { formatScope } from '@ema/tokens'
import type { ClientRegistration } from './client-registration.ts'
import { IdJagOAuthClientProvider } from './id-jag-oauth-client-provider.ts'
import type { TokenEndpointClient } from './client-authentication.ts'
import { FlowError } from './flow-error.ts'
import { connectMcp, type McpConnection } from './connect-mcp.ts'
import { type AuthorizationServerMetadata, discoverAuthorizationServer } from './discover-authorization-server.ts'
import { discoverProtectedResource, type ProtectedResource } from './discover-protected-resource.ts'
import { type AccessTokenResponse, redeemIdJag } from './redeem-id-jag.ts'
import { type CachedAccessToken, usableCachedToken } from './usable-cached-token.ts'
import { type IdJag, requestIdJag } from './request-id-jag.ts'
import type { StepRecorder } from './step.ts'

export interface RunChainOptions {
  /** The MCP server URL the agent is configured with: its resource identifier (CL-03, CL-21). */
  mcpServerUrl: string
  /** If set, the authorization server the protected resource metadata must name (configuration cross-check). */
  expectedAuthorizationServer?: string | undefined
  /** The signed-in user's ID token, the subject token of the token exchange (CL-24); or the IdP refresh token (CL-45). */
  subjectToken: string
  /** Default `id_token`; `refresh_token` where the IdP accepts one as the subject token (CL-45, IDP-04). */
  subjectTokenType?: 'id_token' | 'refresh_token'
  /** The IdP's name in messages, e.g. "Acme SSO". */
  idpName: string
  /** The IdP's token endpoint, or how to look it up; looked up after discovery, right before the token exchange. */
  idp: IdpTokenEndpoint | (() => Promise<IdpTokenEndpoint>)
  /** The client's identification at the IdP for the token exchange (CL-27). */
  idpClient: TokenEndpointClient
  /** The client's registration at the MCP authorization server: the `client_id` the IdP puts in the ID-JAG (CL-37). */
  authorizationServerClient: ClientRegistration
  /** Configured scopes, used when the 401 challenge names none; if absent, the PRM's `scopes_supported` (CL-22). */
  scope?: string | undefined
  /**
   * Scopes the operator asked for explicitly for this run (least privilege), ahead of the challenge's:
   * CL-22's order is for a client that knows no better. A tool that needs more is then reached by
   * the step-up (CL-46), which adds the challenged scopes to these.
   */
  pinnedScope?: string | undefined
  /** Shown in messages, e.g. "Tasks". */
  serverName: string
  fetch: typeof fetch
  /** Plain http is refused unless this is true, and even then only to loopback hosts (CL-48). */
  allowInsecureHttp: boolean
  /** Receives every step of the chain. */
  record: StepRecorder
  /**
   * An access token kept from an earlier run (the headless agent keeps one between runs). Used
   * instead of steps 3 and 4 when it was issued by the authorization server just discovered, for
   * this resource, and is not about to expire; otherwise the exchange runs again (CL-44).
   */
  cachedAccessToken?: CachedAccessToken | undefined
  /**
   * Rewrites a refusal from the IdP's token exchange before it is thrown, e.g. to say that a kept
   * refresh token needs a new sign-in. Refusals from other steps are not passed here.
   */
  explainIdpRefusal?: (error: FlowError) => FlowError
  /** The clock, in epoch ms (tests); default `Date.now`. */
  now?: () => number
  /** Called once the access token is issued, before the MCP connection is opened. */
  onAccessToken?: (grant: { accessToken: AccessTokenResponse; grantedScope: string | undefined; authorizationServer: string; resource: string }) => void | Promise<void>
  /** Told about every token set the MCP SDK re-acquires later (RFC 7523 jwt-bearer, CL-44; a step-up, CL-46). */
  onTokens?: (tokens: OAuthTokens, authorizationServer: AuthorizationServerMetadata, resource: string) => void
}

/** Where the IdP takes the token exchange, and what its metadata says about client authentication. */
export interface IdpTokenEndpoint {
  tokenEndpoint: string
  /** The IdP's issuer: the audience of a `private_key_jwt` assertion (CL-28). */
  issuer?: string | undefined
  /** Its discovery document's `token_endpoint_auth_methods_supported`. */
  authMethodsSupported?: readonly string[] | undefined
}

export interface ChainResult {
  /** The open MCP connection with its tool list; the caller closes it. */
  connection: McpConnection
  protectedResource: ProtectedResource
  authorizationServer: AuthorizationServerMetadata
  /** The scope requested from the IdP (CL-22). */
  scope: string | undefined
  /** The ID-JAG obtained in this run; undefined when a cached access token was reused. */
  idJag: IdJag | undefined
  /** The access token redeemed for the ID-JAG, or the cached one (not any later re-acquisition). */
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
  const scope = options.pinnedScope ?? protectedResource.challengedScope ?? options.scope ?? (supported === undefined ? undefined : formatScope(supported))

  // Looked up only when an ID-JAG is needed: a reused access token needs no IdP at all.
  let idpLookup: Promise<IdpTokenEndpoint> | undefined
  const lookUpIdp = (): Promise<IdpTokenEndpoint> => (idpLookup ??= typeof options.idp === 'function' ? options.idp() : Promise.resolve(options.idp))
  const askIdpForIdJag = async (requestedScope: string | undefined) => {
    try {
      return await exchangeAtIdp(requestedScope)
    } catch (error) {
      throw error instanceof FlowError && options.explainIdpRefusal !== undefined ? options.explainIdpRefusal(error) : error
    }
  }
  const exchangeAtIdp = async (requestedScope: string | undefined) => {
    const idp = await lookUpIdp()
    return requestIdJag({
      ...common,
      idpName: options.idpName,
      tokenEndpoint: idp.tokenEndpoint,
      issuer: idp.issuer,
      authMethodsSupported: idp.authMethodsSupported, // CL-27, CL-28: the method is chosen per leg
      subjectToken: options.subjectToken, // CL-24
      subjectTokenType: options.subjectTokenType, // CL-45
      audience: authorizationServer.issuer, // CL-20: the RAS issuer from its verified metadata
      resource, // CL-21
      scope: requestedScope,
      client: options.idpClient,
    })
  }

  const now = options.now ?? Date.now
  const reusable = usableCachedToken(options.cachedAccessToken, {
    issuer: authorizationServer.issuer,
    resource,
    clientId: options.authorizationServerClient.clientId,
    pinnedScope: options.pinnedScope,
    now: now(),
  })
  let idJag: IdJag | undefined
  let accessToken: AccessTokenResponse
  let grantedScope: string | undefined
  if (reusable !== undefined) {
    ;({ accessToken, grantedScope } = reusable)
    record({
      title: 'Access token kept from an earlier run (no exchange needed)',
      status: 'ok',
      notes: [`issued by ${reusable.authorizationServer} for ${reusable.resource}; expires in ${Math.round((reusable.expiresAt - now()) / 1000)} s; granted scope: ${grantedScope ?? '(none)'}`],
    })
  } else {
    idJag = await askIdpForIdJag(scope)
    accessToken = await redeemIdJag({
      ...common,
      tokenEndpoint: authorizationServer.token_endpoint,
      idJag: idJag.idJag,
      resource, // CL-39
      scope: idJag.scope, // CL-40
      client: options.authorizationServerClient,
      issuer: authorizationServer.issuer,
      authMethodsSupported: authorizationServer.token_endpoint_auth_methods_supported, // CL-28, CL-37
    })
    grantedScope = accessToken.scope ?? idJag.scope
    await options.onAccessToken?.({ accessToken, grantedScope, authorizationServer: authorizationServer.issuer, resource })
  }

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
    ...(onTokens === undefined ? {} : { onTokens: (tokens: OAuthTokens) => onTokens(tokens, authorizationServer, resource) }),
  })

  const connection = await connectMcp({
    ...common,
    mcpServerUrl: options.mcpServerUrl,
    authProvider,
    serverName: options.serverName,
    onInsufficientScope: (challenged) => authProvider.noteInsufficientScope(challenged), // CL-46: ask for the union
  })
  return { connection, protectedResource, authorizationServer, scope, idJag, accessToken, grantedScope }
}
