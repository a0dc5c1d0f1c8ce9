import { InvalidGrantError, type IdJagClaims } from '@ema/tokens'

/**
 * AS-29 (b), SEC-20: an ID-JAG with a `cnf` claim is bound to the client's key and may be redeemed only
 * with a DPoP proof made with that key. This server does not implement DPoP yet, so it can never see a
 * valid proof: such an ID-JAG is refused with `invalid_grant` rather than turned into a bearer token.
 */
export function requireUnboundIdJag(idJag: IdJagClaims): void {
  if (idJag.cnf !== undefined) {
    throw new InvalidGrantError(
      'the ID-JAG is bound to a key ("cnf"), and this authorization server does not accept DPoP proofs, so it cannot be redeemed here',
    )
  }
}
