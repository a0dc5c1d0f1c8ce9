import { GRANT_PROFILE, METADATA } from '@ema/tokens'

/**
 * AS-01 … AS-05: the metadata members oidc-provider does not know, merged into its discovery
 * document (passed as the provider's `discovery` configuration).
 *
 * AS-02: the ID-JAG grant profile is advertised. AS-03: oidc-provider lists every registered grant
 * type, jwt-bearer included, in `grant_types_supported`. AS-05: no trusted issuer, tenant or client
 * is ever listed here: advertising the profile promises only the processing rules (AS-04).
 */
export const AUTHORIZATION_SERVER_METADATA = {
  [METADATA.AUTHORIZATION_GRANT_PROFILES_SUPPORTED]: [GRANT_PROFILE.ID_JAG], // AS-02
} as const
