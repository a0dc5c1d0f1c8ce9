import { errors } from 'oidc-provider'

/** What the check reads of oidc-provider's request context: the authorization server's issuer identifier. */
export interface ClientAssertionAudienceContext {
  oidc: { readonly issuer: string }
}

/**
 * A client assertion's `aud` MUST be this authorization server's issuer identifier, as a single
 * string (draft-ietf-oauth-rfc7523bis, the fix for audience injection; RFC 7523 §2.2, §3; decision
 * 0013). Install it as oidc-provider's `assertJwtClientAuthClaimsAndHeader` configuration option, so
 * that the rule is ours and not a library default (IDP-09; AS-08, AS-10, SEC-07).
 *
 * oidc-provider 9 on its own accepts the issuer, the token endpoint URL or the URL of the endpoint
 * being called, alone or as one member of an array. This refuses all of those but the issuer itself:
 * the token endpoint URL, any other URL, and an array `aud`, even `[issuer]`. The comparison is exact
 * (no trailing-slash or case normalisation; RFC 8414 §3.3).
 *
 * oidc-provider calls it after it has checked the assertion's `alg`, `exp`, `jti`, `iss` = client_id
 * and signature, and before it records the `jti` (so a refused assertion does not use up its `jti`).
 * The description is therefore sent only to a holder of the client's key, and names the rule and
 * the expected value. It replaces oidc-provider's default, whose one check (aud = issuer under the
 * FAPI 2.0 profile) this check includes.
 *
 * Does NOT check anything but `aud`: oidc-provider owns the signature, `alg`, `iss`, `exp`, `jti`
 * and replay checks.
 *
 * @throws {errors.InvalidClientAuth} when `aud` is not exactly the issuer: HTTP 401 `invalid_client`.
 * @see [draft-ietf-oauth-rfc7523bis](https://datatracker.ietf.org/doc/draft-ietf-oauth-rfc7523bis/)
 */
export function assertClientAssertionAudience(
  ctx: ClientAssertionAudienceContext,
  claims: Readonly<Record<string, unknown>>,
): void {
  const { issuer } = ctx.oidc
  const { aud } = claims
  // IDP-09, AS-08 (RFC 7523bis): the issuer identifier is the sole audience, and a string, not an array.
  if (Array.isArray(aud)) {
    throw invalidClientAuth(
      `client assertion aud must be exactly the issuer identifier "${issuer}" as a single string, not an array`,
    )
  }
  if (aud !== issuer) {
    throw invalidClientAuth(`client assertion aud must be exactly the issuer identifier "${issuer}"`)
  }
}

/** 401 `invalid_client` whose public description is `description` (oidc-provider's own is a generic one). */
function invalidClientAuth(description: string): errors.InvalidClientAuth {
  const error = new errors.InvalidClientAuth(description) // also oidc-provider's `error_detail`
  error.error_description = description
  return error
}
