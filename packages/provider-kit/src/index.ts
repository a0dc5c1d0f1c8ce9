export {
  assertClientAssertionAudience,
  type ClientAssertionAudienceContext,
} from './assert-client-assertion-audience.ts'
export { authorizationServerMetadataRoute } from './authorization-server-metadata-route.ts'
export { rateLimitTokenEndpoint, type RateLimitTokenEndpointOptions } from './rate-limit-token-endpoint.ts'
export { InMemoryRateLimitWindows, type RateLimitWindow, type RateLimitWindows } from './rate-limit-windows.ts'
export { requireClientAuthentication } from './require-client-authentication.ts'
export { providerFirst } from './provider-first.ts'
export { requirePost } from './require-post.ts'
export { answerAuthorizationDetailsRefusals, refuseAuthorizationDetails } from './refuse-authorization-details.ts'
export { respondToGrant } from './respond-to-grant.ts'
