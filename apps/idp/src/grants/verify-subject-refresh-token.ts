import { InvalidGrantError, type IdTokenClaims } from '@ema/tokens'
import type Provider from 'oidc-provider'

export interface VerifySubjectRefreshTokenOptions {
  /** The oidc-provider instance of this IdP (`ctx.oidc.provider`): the refresh token's issuer and store. */
  provider: Provider
  /** The client that authenticated this request; the refresh token must have been issued to it (IDP-07). */
  clientId: string
}

/**
 * What the grant uses of a subject token, either kind; all that a refresh token says about its
 * subject: who, and how and when they signed in (IDP-45). The rest of the subject's claims are
 * assembled fresh from the directory (IDP-08).
 */
export type SubjectClaims = Pick<IdTokenClaims, 'sub' | 'auth_time' | 'acr' | 'amr'>

/**
 * Validates the subject token of a token exchange as a refresh token this IdP issued to the calling
 * client, with the checks of oidc-provider's own `refresh_token` grant (IDP-07): found in this IdP's
 * store (so issued by us and not revoked), bound to the authenticated client, unexpired, not
 * consumed, and its Grant still in force for the same client and account.
 *
 * The refresh token is only read: the exchange is not a refresh grant, so it is neither consumed
 * nor rotated. Does NOT check that the account is still a user of the directory; the grant does
 * that, as it does for ID tokens.
 *
 * @throws {InvalidGrantError} describing the first failed check.
 */
export async function verifySubjectRefreshToken(
  subjectToken: string,
  options: VerifySubjectRefreshTokenOptions,
): Promise<SubjectClaims> {
  const { provider, clientId } = options
  // IDP-07: issued by this IdP and not revoked (revocation deletes it from the store). The store may
  // also drop expired tokens (the in-memory adapter does), hence the third reason.
  const refreshToken = await provider.RefreshToken.find(subjectToken, { ignoreExpiration: true })
  if (refreshToken === undefined) {
    throw new InvalidGrantError('the subject token is not a refresh token this IdP holds: unknown, revoked or expired')
  }
  // IDP-07: bound to the authenticated client.
  if (refreshToken.clientId !== clientId) {
    throw new InvalidGrantError('the subject token is a refresh token issued to another client')
  }
  // IDP-07: unexpired (for a store that keeps expired tokens).
  if (refreshToken.isExpired) throw new InvalidGrantError('the subject token is an expired refresh token')
  // IDP-07: unrevoked; a consumed (rotated) refresh token is no longer valid.
  if (refreshToken.consumed !== undefined && refreshToken.consumed !== false) {
    throw new InvalidGrantError('the subject token is a refresh token that was already used')
  }
  // IDP-07: the authorization it stands for is still in force.
  const grant = refreshToken.grantId === undefined ? undefined : await provider.Grant.find(refreshToken.grantId)
  if (grant === undefined || grant.clientId !== clientId || grant.accountId !== refreshToken.accountId) {
    throw new InvalidGrantError('the subject token is a refresh token whose grant was revoked or has expired')
  }
  return {
    sub: refreshToken.accountId,
    ...(refreshToken.authTime === undefined ? {} : { auth_time: refreshToken.authTime }),
    ...(refreshToken.acr === undefined ? {} : { acr: refreshToken.acr }),
    ...(refreshToken.amr === undefined ? {} : { amr: refreshToken.amr }),
  }
}
