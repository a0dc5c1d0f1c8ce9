import { assertTrustworthyUrl, GRANT_PROFILE, GRANT_TYPE, METADATA, WELL_KNOWN } from '@ema/tokens'
import { z } from 'zod'
import { fetchMetadata } from './fetch-metadata.ts'
import { FlowError } from './flow-error.ts'

/** RFC 8414 §2 metadata: the members this client uses; others pass through. */
export const AuthorizationServerMetadata = z.looseObject({
  issuer: z.string().min(1),
  token_endpoint: z.string().min(1),
  grant_types_supported: z.array(z.string()).optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
  [METADATA.AUTHORIZATION_GRANT_PROFILES_SUPPORTED]: z.array(z.string()).optional(),
})
export type AuthorizationServerMetadata = z.infer<typeof AuthorizationServerMetadata>

export interface DiscoverAuthorizationServerOptions {
  /** The authorization server URL chosen from protected resource metadata (CL-01). */
  authorizationServer: string
  fetch: typeof fetch
  allowInsecureHttp: boolean
}

/** The plain-words refusal of CL-06/CL-07. */
const NO_ID_JAG_PROFILE = 'the authorization server does not advertise the ID-JAG grant profile'

/** The step note when CL-06's profile list is absent but CL-07's jwt-bearer grant is listed. */
export const PROFILE_NOT_ADVERTISED_NOTE =
  `no ${METADATA.AUTHORIZATION_GRANT_PROFILES_SUPPORTED} in the metadata, so ${GRANT_PROFILE.ID_JAG} is not confirmed (CL-06 is a MAY); ` +
  `trying the ID-JAG flow because grant_types_supported lists the jwt-bearer grant (CL-07)`

/**
 * Fetches the MCP authorization server's metadata and checks that it supports this profile:
 * - CL-04: RFC 8414 well-known URLs first, then OpenID Connect Discovery, in the MCP order;
 * - CL-05: `issuer` must be identical to the URL the metadata was derived from;
 * - CL-07: `grant_types_supported` must contain jwt-bearer, always;
 * - CL-06 (a MAY): if `authorization_grant_profiles_supported` is published it must contain the
 *   ID-JAG grant profile; if it is absent, jwt-bearer alone is accepted and the step says so
 *   ({@link PROFILE_NOT_ADVERTISED_NOTE}), because RFC 8414 servers that predate JAG §7.2 cannot list it.
 *
 * Does NOT fall back to the interactive flow when the profile is missing (CL-09): it stops with
 * {@link NO_ID_JAG_PROFILE}, because this agent has no interactive MCP authorization.
 * @throws {FlowError}
 */
export async function discoverAuthorizationServer(
  options: DiscoverAuthorizationServerOptions,
): Promise<AuthorizationServerMetadata> {
  const { metadata } = await fetchMetadata({
    candidates: metadataCandidates(options.authorizationServer), // CL-04
    schema: AuthorizationServerMetadata,
    whose: "The authorization server's metadata (RFC 8414)",
    error: 'invalid_authorization_server_metadata',
    fetch: options.fetch,
    allowInsecureHttp: options.allowInsecureHttp,
  })
  // CL-05 (RFC 8414 §3.3): the issuer must be the URL we derived the metadata URL from.
  if (metadata.issuer !== options.authorizationServer) {
    throw new FlowError(
      'invalid_authorization_server_metadata',
      `The authorization server metadata names the issuer "${metadata.issuer}", but it was fetched for "${options.authorizationServer}", so it was refused`,
    )
  }
  if (idJagProfileNote(metadata) === undefined) {
    throw new FlowError(
      'unsupported_grant_profile',
      `${capitalise(NO_ID_JAG_PROFILE)} (${GRANT_PROFILE.ID_JAG} with the jwt-bearer grant), so this agent cannot use Enterprise-Managed Authorization with it`,
    )
  }
  assertTrustworthyUrl(new URL(metadata.token_endpoint), options.allowInsecureHttp) // CL-48
  return metadata
}

/**
 * CL-06, CL-07: whether the metadata supports this profile, in words for a step note; undefined when
 * it does not. The jwt-bearer grant must be listed, and the profile list, when published, must name
 * the ID-JAG profile.
 */
export function idJagProfileNote(
  metadata: Pick<
    AuthorizationServerMetadata,
    'grant_types_supported' | typeof METADATA.AUTHORIZATION_GRANT_PROFILES_SUPPORTED
  >,
): string | undefined {
  const profiles = metadata[METADATA.AUTHORIZATION_GRANT_PROFILES_SUPPORTED]
  // CL-07: the jwt-bearer grant must be listed, whatever the profile list says (JAG §7.2).
  if (!(metadata.grant_types_supported ?? []).includes(GRANT_TYPE.JWT_BEARER)) return undefined
  // CL-06: a published profile list that omits ID-JAG is a clear "no".
  if (profiles !== undefined && !profiles.includes(GRANT_PROFILE.ID_JAG)) return undefined
  if (profiles === undefined) return PROFILE_NOT_ADVERTISED_NOTE // CL-06 is a MAY: jwt-bearer alone (CL-07) is enough to try
  return `advertises ${GRANT_PROFILE.ID_JAG} (CL-06) and the jwt-bearer grant (CL-07)`
}

/**
 * CL-04: the MCP order. For an issuer with a path: RFC 8414 path-inserted, OIDC path-inserted,
 * OIDC path-appended. For one without: RFC 8414, then OIDC.
 */
export function metadataCandidates(issuer: string): string[] {
  const url = new URL(issuer)
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')
  if (path === '')
    return [`${url.origin}${WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER}`, `${url.origin}${WELL_KNOWN.OPENID_CONFIGURATION}`]
  return [
    `${url.origin}${WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER}${path}`,
    `${url.origin}${WELL_KNOWN.OPENID_CONFIGURATION}${path}`,
    `${url.origin}${path}${WELL_KNOWN.OPENID_CONFIGURATION}`,
  ]
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
