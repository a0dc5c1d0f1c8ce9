import { InvalidGrantError, type IdJagClaims } from '@ema/tokens'
import type { TrustedIdp } from '../config.ts'
import type { AuthenticatedClient } from './require-confidential-client.ts'

/**
 * AS-16: the trusted IdP that issued this ID-JAG, provided it may vouch for the authenticated client.
 *
 * Each trusted issuer is bound to the client relationships configured for it (`client_ids`): an
 * IdP trusted for one client cannot mint ID-JAGs that another client registered here redeems.
 * Runs after `verifyIdJag` (signature and trusted `iss`) and `requireSameClient` (AS-18), and before
 * the replay store, so a refusal here never burns the ID-JAG.
 *
 * Does NOT verify the signature or check the IdP's keys: `verifyIdJag` did (AS-13, AS-16).
 *
 * @throws {InvalidGrantError} when `iss` is not a configured IdP or may not vouch for the client.
 */
export function requireTrustedClientRelationship(
  idJag: IdJagClaims,
  client: AuthenticatedClient,
  trustedIdps: readonly TrustedIdp[],
): TrustedIdp {
  const idp = trustedIdps.find((candidate) => candidate.issuer === idJag.iss)
  // AS-16: iss MUST name an explicitly trusted IdP (verifyIdJag found its keys; the config must agree).
  if (idp === undefined) throw new InvalidGrantError(`the ID-JAG issuer ${idJag.iss} is not trusted`)
  // AS-16: the trusted issuer MUST be bound to the right client relationship.
  if (!idp.client_ids.includes(client.clientId)) {
    throw new InvalidGrantError(
      `issuer ${idJag.iss} may not vouch for client ${client.clientId} at this authorization server`,
    )
  }
  return idp
}
