export { authorizationServerMetadataRoute } from './authorization-server-metadata-route.ts'
export { requireClientAuthentication } from './require-client-authentication.ts'
export { requirePost } from './require-post.ts'
export { respondToGrant } from './respond-to-grant.ts'
