// @ema/id-jag-client: the client side of MCP Enterprise-Managed Authorization (SEP-990), for any
// MCP SDK v1 client. Named exports only; each one's TSDoc says what it checks and what it does not.

// The whole chain, and the MCP connection it opens.
export {
  type AccessTokenGrant,
  type ChainResult,
  type IdpTokenEndpoint,
  runChain,
  type RunChainOptions,
} from './run-chain.ts'
export { callMcpTool, connectMcp, type ConnectMcpOptions, type McpConnection } from './connect-mcp.ts'
export {
  IdJagOAuthClientProvider,
  type IdJagOAuthClientProviderOptions,
  MAX_STEP_UPS,
} from './id-jag-oauth-client-provider.ts'

// The protocol steps, in the spec's order.
export {
  discoverProtectedResource,
  type DiscoverProtectedResourceOptions,
  type ProtectedResource,
  ProtectedResourceMetadata,
} from './discover-protected-resource.ts'
export {
  AuthorizationServerMetadata,
  discoverAuthorizationServer,
  type DiscoverAuthorizationServerOptions,
  idJagProfileNote,
  metadataCandidates,
  PROFILE_NOT_ADVERTISED_NOTE,
} from './discover-authorization-server.ts'
export { type IdJag, requestIdJag, type RequestIdJagOptions } from './request-id-jag.ts'
export { AccessTokenResponse, redeemIdJag, type RedeemIdJagOptions } from './redeem-id-jag.ts'
export { type CachedAccessToken, usableCachedToken } from './usable-cached-token.ts'

// Client authentication at a token endpoint.
export { CLIENT_AUTH_METHODS, type ClientAuthMethod, type ClientRegistration } from './client-registration.ts'
export { chooseClientAuthMethod, type ClientAuthChoice, type TokenEndpointServer } from './choose-client-auth-method.ts'
export {
  applyClientAuthentication,
  type PublicClientIdentification,
  type TokenEndpointClient,
} from './client-authentication.ts'

// Signing the user in at the IdP (openid-client), for the subject token.
export { discoverIdp, type IdpClientConfig, idpTokenEndpoint } from './discover-idp.ts'
export { openidClientAuthentication } from './openid-client-authentication.ts'
export { type PendingSignIn, redeemSignInResponse, type SignInResult } from './redeem-sign-in-response.ts'

// Errors and traffic.
export { asFlowError, FlowError, stepUpSignInFor, type RefusingRole, type StepUpSignIn } from './flow-error.ts'
export { type Exchange, recordTraffic, type TrafficRecorder } from './record-traffic.ts'
export { type ReusedAccessToken, type TrafficObserver } from './traffic-observer.ts'
export { type BearerChallenge, parseBearerChallenge } from './www-authenticate.ts'

// Configuration helpers.
export { readClientRegistration } from './read-client-registration.ts'

// The second hop an MCP server of this project reports in a tool result (MCP_TRACE_DOWNSTREAM).
export { DOWNSTREAM_TRACE_KEY, DownstreamTrace, readDownstreamTrace } from './read-downstream-trace.ts'
