import { GRANT_PROFILE, METADATA } from '@ema/tokens'

/**
 * AS-01 … AS-05: the metadata members oidc-provider does not know, merged into its discovery
 * document (passed as the provider's `discovery` configuration).
 *
 * oidc-provider writes the authorization code flow's members itself (decision 0050, which supersedes
 * 0015): `response_types_supported: ["code"]`, `code_challenge_methods_supported: ["S256"]`,
 * `authorization_response_iss_parameter_supported: true` (RFC 9207), and `authorization_code` in
 * `grant_types_supported`, next to jwt-bearer and the token exchange.
 *
 * AS-02: the ID-JAG grant profile is advertised. AS-03: oidc-provider lists every registered grant
 * type, jwt-bearer included, in `grant_types_supported`. AS-05, SEC-17: no trusted issuer, tenant or client
 * is ever listed here: advertising the profile promises only the processing rules (AS-04).
 */
export const AUTHORIZATION_SERVER_METADATA = {
  [METADATA.AUTHORIZATION_GRANT_PROFILES_SUPPORTED]: [GRANT_PROFILE.ID_JAG], // AS-02
} as const
