import { InvalidGrantError, type IdJagClaims } from '@ema/tokens'

/**
 * AS-28 is knowingly unmet (docs/security.md): this server processes no RFC 9396 authorization details.
 * An ID-JAG that carries them grants something this server cannot express in an access token, so it is
 * refused with `invalid_grant` rather than redeemed as if the claim were absent.
 */
export function requireNoAuthorizationDetails(idJag: IdJagClaims): void {
  if (idJag.authorization_details !== undefined) {
    throw new InvalidGrantError(
      'the ID-JAG carries authorization_details (RFC 9396), which this authorization server does not support; the IdP must grant scopes instead',
    )
  }
}
