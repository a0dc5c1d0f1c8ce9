import { formatScope } from '@ema/tokens'
import type { TokenEndpointClient } from './client-authentication.ts'
import type { ClientRegistration } from './client-registration.ts'
import { connectMcp, type McpConnection } from './connect-mcp.ts'
import { type AuthorizationServerMetadata, discoverAuthorizationServer } from './discover-authorization-server.ts'
import { discoverProtectedResource, type ProtectedResource } from './discover-protected-resource.ts'
import { IdJagOAuthClientProvider } from './id-jag-oauth-client-provider.ts'
import { recordTraffic } from './record-traffic.ts'
import { type AccessTokenResponse, redeemIdJag } from './redeem-id-jag.ts'
import { type IdJag, requestIdJag } from './request-id-jag.ts'
import type { TrafficObserver } from './traffic-observer.ts'
import { type CachedAccessToken, usableCachedToken } from './usable-cached-token.ts'

/** Where the IdP takes the token exchange, and what its metadata says about client authentication. */
export interface IdpTokenEndpoint {
  tokenEndpoint: string
  /** The IdP's issuer: the audience of a `private_key_jwt` assertion (CL-28). */
  issuer?: string | undefined
  /** Its discovery document's `token_endpoint_auth_methods_supported`. */
  authMethodsSupported?: readonly string[] | undefined
}

/** An access token the chain obtained: the first one, or one the MCP SDK re-acquired later. */
export interface AccessTokenGrant {
  accessToken: AccessTokenResponse
  /** Its `scope`, else the ID-JAG's (CL-31). */
  grantedScope: string | undefined
  /** The issuer of the authorization server that issued it, and the resource it is for. */
  authorizationServer: string
  resource: string
}

export interface RunChainOptions {
  /** The MCP server the agent is configured with. */
  mcpServer: {
    /** Its URL: the resource identifier (CL-03, CL-21). */
    url: string
    /** Its display name in error messages, from configuration. */
    name: string
    /** If set, the authorization server its protected resource metadata must name (configuration cross-check). */
    expectedAuthorizationServer?: string | undefined
  }
  /** The enterprise IdP. */
  idp: {
    /** Its display name in error messages, from configuration. */
    name: string
    /** Its token endpoint, or how to look it up: looked up only when an ID-JAG is needed. */
    endpoint: IdpTokenEndpoint | (() => Promise<IdpTokenEndpoint>)
  }
  /** Who the client is at each token endpoint. */
  client: {
    /** Its identification at the IdP for the token exchange (CL-27). */
    atIdp: TokenEndpointClient
    /** Its registration at the MCP authorization server: the `client_id` the IdP puts in the ID-JAG (CL-37). */
    atAuthorizationServer: ClientRegistration
  }
  /** The signed-in user's ID token (CL-24), or the IdP refresh token (CL-45). */
  subject: { token: string; type?: 'id_token' | 'refresh_token' | undefined }
  /** Scopes to ask for when the 401 challenge names none; if absent, the PRM's `scopes_supported` (CL-22). */
  scope?: string | undefined
  /** Scopes the operator pinned (least privilege), ahead of the challenge's; a step-up adds to them (CL-46). */
  pinnedScope?: string | undefined
  /** A token kept from an earlier run, used while {@link usableCachedToken} allows it (CL-43, CL-44). */
  cachedAccessToken?: CachedAccessToken | undefined
  fetch: typeof fetch
  /** Plain http is refused unless this is true, and even then only to loopback hosts (CL-48). */
  allowInsecureHttp: boolean
  /** The clock, in epoch ms; default `Date.now`. */
  now?: () => number
  /** Who watches the run. */
  observers?: {
    /** Sees every request and response through `fetch`, redacted (CL-34), and a kept token's reuse. */
    traffic?: TrafficObserver | undefined
    /** Told about every access token issued: the first one and each later one the SDK re-acquires. */
    onAccessToken?: ((grant: AccessTokenGrant) => void | Promise<void>) | undefined
  }
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
 * 3. an {@link IdJagOAuthClientProvider} whose ID-JAGs come from the IdP (CL-17…CL-35), 4. the access
 * token, through that provider as every later one (CL-36…CL-40, CL-43, CL-44), unless a kept one may
 * be reused, 5. the MCP connection and its tool list (CL-12, CL-42).
 *
 * Does NOT sign a user in (the caller passes the subject token), nor fall back to the interactive
 * flow (CL-09). The first refusal throws a `FlowError`.
 */
export async function runChain(options: RunChainOptions): Promise<ChainResult> {
  const { mcpServer, idp: idpOptions, client, observers = {} } = options
  const { traffic } = observers
  const fetch =
    traffic === undefined ? options.fetch : recordTraffic(options.fetch, (exchange) => traffic.exchange(exchange))
  const now = options.now ?? Date.now
  const { allowInsecureHttp } = options
  try {
    const protectedResource = await discoverProtectedResource({
      mcpServerUrl: mcpServer.url,
      expectedAuthorizationServer: mcpServer.expectedAuthorizationServer,
      fetch,
      allowInsecureHttp,
    })
    const authorizationServer = await discoverAuthorizationServer({
      authorizationServer: protectedResource.authorizationServer,
      fetch,
      allowInsecureHttp,
    })
    const resource = protectedResource.metadata.resource
    // CL-22: the challenge's scope first, else the configured scopes, else PRM scopes_supported, else none.
    const supported = protectedResource.metadata.scopes_supported
    const scope =
      options.pinnedScope ??
      protectedResource.challengedScope ??
      options.scope ??
      (supported === undefined ? undefined : formatScope(supported))

    let idpLookup: Promise<IdpTokenEndpoint> | undefined
    let idJag: IdJag | undefined
    const obtainIdJag = async ({ scope: requested }: { scope: string | undefined }): Promise<string> => {
      const { endpoint } = idpOptions
      const idp = await (idpLookup ??= typeof endpoint === 'function' ? endpoint() : Promise.resolve(endpoint))
      idJag = await requestIdJag({
        tokenEndpoint: idp.tokenEndpoint,
        issuer: idp.issuer,
        authMethodsSupported: idp.authMethodsSupported, // CL-27, CL-28: the method is chosen per leg
        idpName: idpOptions.name,
        client: client.atIdp,
        subjectToken: options.subject.token, // CL-24
        subjectTokenType: options.subject.type, // CL-45
        audience: authorizationServer.issuer, // CL-20: the RAS issuer from its verified metadata
        resource, // CL-21
        scope: requested,
        fetch,
        allowInsecureHttp,
      })
      return idJag.assertion
    }
    const granted = (accessToken: AccessTokenResponse): AccessTokenGrant => ({
      accessToken,
      grantedScope: accessToken.scope ?? idJag?.scope,
      authorizationServer: authorizationServer.issuer,
      resource,
    })

    const reusable = usableCachedToken(options.cachedAccessToken, {
      issuer: authorizationServer.issuer,
      resource,
      clientId: client.atAuthorizationServer.clientId,
      pinnedScope: options.pinnedScope,
      now: now(),
    })
    const { onAccessToken } = observers
    let saving: Promise<void> | void = undefined
    const authProvider = new IdJagOAuthClientProvider({
      authorizationServer: authorizationServer.issuer,
      resource,
      client: client.atAuthorizationServer,
      ...(scope === undefined ? {} : { scope }),
      ...(reusable === undefined ? {} : { tokens: reusable.accessToken }), // CL-43: only a token this authorization server issued for this resource
      discoveryState: {
        authorizationServerUrl: authorizationServer.issuer,
        resourceMetadataUrl: protectedResource.metadataUrl,
        resourceMetadata: protectedResource.metadata,
        // Our zod type checks a subset of RFC 8414; the SDK reads only token_endpoint from it here.
        authorizationServerMetadata: authorizationServer as never,
      },
      obtainIdJag, // CL-44: every access token starts from a fresh ID-JAG, never a stale one
      ...(onAccessToken === undefined
        ? {}
        : {
            onTokens: (tokens) => {
              saving = onAccessToken(granted(tokens))
            },
          }),
    })

    let accessToken: AccessTokenResponse
    let grantedScope: string | undefined
    if (reusable !== undefined) {
      ;({ accessToken, grantedScope } = reusable)
      traffic?.reusedAccessToken?.({
        authorizationServer: reusable.authorizationServer,
        resource: reusable.resource,
        expiresIn: Math.round((reusable.expiresAt - now()) / 1000),
        grantedScope,
      })
    } else {
      accessToken = await redeemIdJag(authProvider, { authorizationServer, fetch })
      await saving
      grantedScope = granted(accessToken).grantedScope
    }

    const connection = await connectMcp({
      mcpServerUrl: mcpServer.url,
      authProvider,
      fetch,
      serverName: mcpServer.name,
      observer: traffic,
      onInsufficientScope: (challenged) => authProvider.noteInsufficientScope(challenged), // CL-46: ask for the union
    })
    return { connection, protectedResource, authorizationServer, scope, idJag, accessToken, grantedScope }
  } finally {
    traffic?.flush?.()
  }
}
