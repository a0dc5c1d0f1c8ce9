import { InvalidRequestError, type ActorClaim, type SubjectAccessTokenClaims } from '@ema/tokens'
import type { AuthenticatedClient } from './require-confidential-client.ts'

/**
 * OBO-12, OBO-13, OBO-16 (RFC 8693 §4.1): the `act` claim of the downstream token. The exchanging
 * client is the current actor; before it, the client the subject token was issued to; before that,
 * any actors the subject token already named:
 *
 *   { sub: <exchanging client>, act: { sub: <subject token client_id>, act: <subject token act, if any> } }
 *
 * When the subject token's current actor already is its `client_id`, it is not repeated (decision 0020).
 * Only `sub` (and a string `iss`) of each actor is carried over: `exp`, `aud` and the like mean
 * nothing inside `act` (OBO-14).
 *
 * @throws {InvalidRequestError} when the chain would hold more than `maxDepth` actors (OBO-16, Auth0).
 */
export function buildActorChain(
  subject: SubjectAccessTokenClaims,
  client: AuthenticatedClient,
  maxDepth: number,
): ActorClaim {
  const prior =
    subject.act === undefined
      ? { sub: subject.client_id }
      : subject.act.sub === subject.client_id
        ? subject.act
        : { sub: subject.client_id, act: subject.act }
  const actors: Array<{ sub: string; iss?: string }> = [{ sub: client.clientId }]
  for (let actor: ActorClaim | undefined = prior; actor !== undefined; actor = actor.act) {
    actors.push({ sub: actor.sub, ...(typeof actor.iss === 'string' ? { iss: actor.iss } : {}) })
    if (actors.length > maxDepth) {
      throw new InvalidRequestError(
        `the delegation chain is too deep: the token would name more than ${maxDepth} actors in nested "act" claims`,
      )
    }
  }
  // Innermost first, so each actor wraps the one before it.
  let chain: ActorClaim | undefined
  for (const actor of actors.reverse()) chain = chain === undefined ? { ...actor } : { ...actor, act: chain }
  return chain as ActorClaim
}
