import type { Middleware } from 'koa'
import type { KoaContextWithOIDC } from 'oidc-provider'
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

/**
 * Members oidc-provider's discovery document always carries that describe flows at the
 * authorization endpoint. This server has none (it only redeems ID-JAGs at its token endpoint), so
 * they would promise what it does not do (decision 0015):
 * - `code_challenge_methods_supported`: there is no authorization code to protect; RFC 8414 §2:
 *   omitted means no PKCE, and an interactive MCP client then rightly refuses this server;
 * - `response_modes_supported`: no authorization response is ever sent;
 * - `authorization_response_iss_parameter_supported` (RFC 9207): likewise.
 * `response_types_supported` stays, as RFC 8414 §2 REQUIRES it, and is `[]` (no response type);
 * `authorization_endpoint` stays because both MCP SDKs refuse metadata without it (it answers every
 * request with an OAuth error).
 */
export const AUTHORIZATION_ENDPOINT_MEMBERS = [
  'code_challenge_methods_supported',
  'response_modes_supported',
  'authorization_response_iss_parameter_supported',
] as const

/**
 * AS-01: removes {@link AUTHORIZATION_ENDPOINT_MEMBERS} from oidc-provider's discovery response, so
 * the RFC 8414 metadata and the OIDC Discovery document (one source, provider-kit's route) advertise
 * only what this server does. Install with `provider.use` (a public oidc-provider API).
 */
export function withoutAuthorizationEndpointMembers(): Middleware<object, KoaContextWithOIDC> {
  return async function withoutAuthorizationEndpointMembersMiddleware(ctx, next) {
    await next()
    const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined
    if (oidc?.route !== 'discovery' || ctx.status !== 200 || typeof ctx.body !== 'object' || ctx.body === null) return
    const body = ctx.body as Record<string, unknown>
    for (const member of AUTHORIZATION_ENDPOINT_MEMBERS) delete body[member]
  }
}
