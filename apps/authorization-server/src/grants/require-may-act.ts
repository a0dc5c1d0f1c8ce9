import { InvalidRequestError, type SubjectAccessTokenClaims } from '@ema/tokens'
import type { AuthenticatedClient } from './require-confidential-client.ts'

/**
 * OBO-11 (RFC 8693 §4.4): a subject token that carries `may_act` names the one party allowed to act
 * for its subject; the exchanging client must be that party. `may_act.sub` is compared with the
 * client's `client_id` here; a `may_act.iss`, when present, must be this server (client ids are ours).
 * Without `may_act` the client policy (OBO-10) alone decides.
 *
 * The refusal is `invalid_request`: RFC 8693 §2.2.2 names it for a subject token that is unacceptable,
 * and this one is, for this actor (decision 0020).
 */
export function requireMayAct(subject: SubjectAccessTokenClaims, client: AuthenticatedClient, issuer: string): void {
  const mayAct = subject.may_act
  if (mayAct === undefined) return
  if (mayAct.iss !== undefined && mayAct.iss !== issuer) {
    throw new InvalidRequestError(
      `the subject_token's may_act names an actor of another issuer (${mayAct.iss}); only clients of ${issuer} can act here`,
    )
  }
  if (mayAct.sub !== client.clientId) {
    throw new InvalidRequestError(
      `the subject_token's may_act allows only ${mayAct.sub} to act for its subject, not client ${client.clientId}`,
    )
  }
}
