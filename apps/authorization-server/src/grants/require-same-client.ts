import { InvalidGrantError, type IdJagClaims } from '@ema/tokens'
import type { AuthenticatedClient } from './require-confidential-client.ts'

/** AS-18: the ID-JAG's `client_id` MUST name the client that authenticated this request. */
export function requireSameClient(idJag: IdJagClaims, client: AuthenticatedClient): void {
  if (idJag.client_id !== client.clientId) {
    throw new InvalidGrantError('the ID-JAG was issued to another client')
  }
}
