export {
  ASYMMETRIC_ALGORITHMS,
  CLIENT_ASSERTION_TYPE,
  CLIENT_AUTH_METHOD,
  EXTENSION_ID,
  GRANT_PROFILE,
  GRANT_TYPE,
  JWT_TYP,
  METADATA,
  TOKEN_EXCHANGE_PROFILE,
  TOKEN_RESPONSE_TYPE,
  TOKEN_TYPE,
  WELL_KNOWN,
  type AsymmetricAlgorithm,
  type ClientAuthMethodName,
  type GrantType,
  type TokenType,
} from './constants.ts'
export {
  AccessDeniedError,
  InsufficientUserAuthenticationError,
  InsufficientScopeError,
  InvalidAuthorizationDetailsError,
  InvalidClientError,
  InvalidGrantError,
  InvalidRequestError,
  InvalidScopeError,
  InvalidTargetError,
  InvalidTokenError,
  OAuthError,
  ServerError,
  StoreUnavailableError,
  TemporarilyUnavailableError,
  UnauthorizedClientError,
  UnsupportedGrantTypeError,
  toOAuthError,
  type OAuthErrorBody,
  type OAuthErrorOptions,
} from './errors.ts'
export {
  generateSigningKey,
  importSigningKey,
  importSigningKeys,
  publicJwks,
  type SigningKey,
} from './keys/signing-key.ts'
export { parsePrivateJwks } from './keys/parse-private-jwks.ts'
export { signingKeysFromEnv } from './keys/signing-keys-from-env.ts'
export { assertTrustworthyUrl, remoteKeySet, type RemoteKeySetOptions } from './keys/remote-key-set.ts'
export { parsePublicJwks } from './keys/parse-public-jwks.ts'
export type { IdJagClaims } from './id-jag/id-jag-claims.ts'
export { signIdJag, type SignIdJagOptions } from './id-jag/sign-id-jag.ts'
export { verifyIdJag, type VerifyIdJagOptions } from './id-jag/verify-id-jag.ts'
export { verifyIdToken, type IdTokenClaims, type VerifyIdTokenOptions } from './id-token/verify-id-token.ts'
export type { AccessTokenClaims } from './access-token/access-token-claims.ts'
export { signAccessToken, type SignAccessTokenOptions } from './access-token/sign-access-token.ts'
export { verifyAccessToken, type VerifyAccessTokenOptions } from './access-token/verify-access-token.ts'
export {
  createAccessTokenVerifier,
  type AccessTokenVerifier,
  type AccessTokenVerifierOptions,
  type FrozenAccessTokenClaims,
} from './access-token/access-token-verifier.ts'
export {
  verifySubjectAccessToken,
  type ActorClaim,
  type MayActClaim,
  type SubjectAccessTokenClaims,
  type VerifySubjectAccessTokenOptions,
} from './access-token/verify-subject-access-token.ts'
export { actorChain } from './access-token/actor-chain.ts'
export { signClientAssertion, type SignClientAssertionOptions } from './client-assertion/sign-client-assertion.ts'
export { InMemoryReplayStore, type InMemoryReplayStoreOptions, type ReplayStore } from './replay-store.ts'
export {
  InMemoryRevocationStore,
  type InMemoryRevocationStoreOptions,
  type RevocationStore,
} from './revocation-store.ts'
export type { IssuerKeys } from './verify-jwt-strictly.ts'
export { formatScope, intersectScopes, parseScope } from './scope.ts'
export { inspectJwt } from './inspect-jwt.ts'
export { redact } from './redact.ts'
