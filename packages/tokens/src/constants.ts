/** Grant types used by Enterprise-Managed Authorization. */
export const GRANT_TYPE = {
  AUTHORIZATION_CODE: 'authorization_code', // RFC 6749 §4.1
  REFRESH_TOKEN: 'refresh_token', // RFC 6749 §6
  TOKEN_EXCHANGE: 'urn:ietf:params:oauth:grant-type:token-exchange', // RFC 8693 §2.1
  JWT_BEARER: 'urn:ietf:params:oauth:grant-type:jwt-bearer', // RFC 7523 §2.1
} as const
export type GrantType = (typeof GRANT_TYPE)[keyof typeof GRANT_TYPE]

/** Token type identifiers (RFC 8693 §3, JAG §4.3). */
export const TOKEN_TYPE = {
  ID_TOKEN: 'urn:ietf:params:oauth:token-type:id_token', // RFC 8693 §3
  ID_JAG: 'urn:ietf:params:oauth:token-type:id-jag', // JAG §4.3, §10.2
  ACCESS_TOKEN: 'urn:ietf:params:oauth:token-type:access_token', // RFC 8693 §3
  REFRESH_TOKEN: 'urn:ietf:params:oauth:token-type:refresh_token', // RFC 8693 §3
  SAML2: 'urn:ietf:params:oauth:token-type:saml2', // RFC 8693 §3
} as const
export type TokenType = (typeof TOKEN_TYPE)[keyof typeof TOKEN_TYPE]

/** Explicit JWT `typ` header values (RFC 8725 §3.11). */
export const JWT_TYP = {
  ID_JAG: 'oauth-id-jag+jwt', // JAG §3.1, IDP-37
  ACCESS_TOKEN: 'at+jwt', // RFC 9068 §2.1
  CLIENT_ASSERTION: 'JWT', // RFC 7523 §3 (no explicit type is defined for client assertions)
} as const

/** The grant profile identifier advertised in `authorization_grant_profiles_supported` (JAG §7.2, EMA-S §6). */
export const GRANT_PROFILE = {
  ID_JAG: 'urn:ietf:params:oauth:grant-profile:id-jag',
} as const

/**
 * Token exchange profiles a client can be switched on for, in Auth0's configuration shape
 * `token_exchange: { allow_any_profile_of_type: [...] }` (OBO-10).
 */
export const TOKEN_EXCHANGE_PROFILE = {
  ON_BEHALF_OF: 'on_behalf_of_token_exchange', // AUTH0-OBO Prerequisites
} as const

/**
 * Token endpoint client authentication methods (`token_endpoint_auth_method`, RFC 7591 §2): the
 * names every role's registrations, metadata and client use. Which of them a role offers is its own
 * choice (AS-08, AS-10, IDP-09, CL-28).
 */
export const CLIENT_AUTH_METHOD = {
  CLIENT_SECRET_BASIC: 'client_secret_basic', // RFC 6749 §2.3.1
  CLIENT_SECRET_POST: 'client_secret_post', // RFC 6749 §2.3.1
  PRIVATE_KEY_JWT: 'private_key_jwt', // RFC 7523 §2.2, OIDC Core §9
  TLS_CLIENT_AUTH: 'tls_client_auth', // RFC 8705 §2.1
  NONE: 'none', // RFC 7591 §2: a public client
} as const
export type ClientAuthMethodName = (typeof CLIENT_AUTH_METHOD)[keyof typeof CLIENT_AUTH_METHOD]

/** Client assertion type for private_key_jwt (RFC 7523 §2.2). */
export const CLIENT_ASSERTION_TYPE = {
  JWT_BEARER: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
} as const

/** Metadata member names that no library knows yet. */
export const METADATA = {
  AUTHORIZATION_GRANT_PROFILES_SUPPORTED: 'authorization_grant_profiles_supported', // JAG §7.2
  IDENTITY_CHAINING_REQUESTED_TOKEN_TYPES_SUPPORTED: 'identity_chaining_requested_token_types_supported', // JAG §7.1
} as const

/** Well-known paths (RFC 8414 §3, RFC 9728 §3, OIDC Discovery §4). */
export const WELL_KNOWN = {
  OAUTH_AUTHORIZATION_SERVER: '/.well-known/oauth-authorization-server',
  OPENID_CONFIGURATION: '/.well-known/openid-configuration',
  OAUTH_PROTECTED_RESOURCE: '/.well-known/oauth-protected-resource',
} as const

/** The MCP extension identifier (MCP-EXT-DOC, CL-12). */
export const EXTENSION_ID = 'io.modelcontextprotocol/enterprise-managed-authorization'

/** `token_type` values in token responses. */
export const TOKEN_RESPONSE_TYPE = {
  BEARER: 'Bearer', // RFC 6750
  N_A: 'N_A', // RFC 8693 §2.2.1, JAG §4.3.4
} as const

/**
 * Asymmetric JWS algorithms we accept (AS-14, RFC 8725 §3.1–§3.2). `none` and every HMAC
 * algorithm are absent on purpose: an ID-JAG crosses a trust boundary, so a shared secret is wrong.
 */
export const ASYMMETRIC_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
  'EdDSA',
  'Ed25519',
] as const
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number]
