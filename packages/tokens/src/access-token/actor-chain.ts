import { InvalidTokenError } from '../errors.ts'

/** How deep `actorChain` follows nested `act` claims before it stops reading (they carry no authority, OBO-13). */
const MAX_DEPTH = 16

/**
 * The delegation chain of a token (RFC 8693 §4.1): the `sub` of the outermost `act` (the party acting
 * now) first, then each earlier actor, outermost to innermost. `undefined` when the token has no
 * `act` claim at all (no delegation, OBO-19).
 *
 * Checks that the outermost `act` is a JSON object with a non-empty string `sub`, because that is the
 * actor an API decides on (OBO-13). Nested `act` objects only record earlier actors: they are read
 * while they are well-formed (at most 16 levels) and otherwise ignored.
 *
 * Does NOT verify the token, and does NOT decide whether the actor is allowed: the API does (OBO-18).
 *
 * @throws {InvalidTokenError} when `act` is present but is not an object with a string `sub`.
 */
export function actorChain(claims: { act?: unknown }): string[] | undefined {
  if (claims.act === undefined) return undefined
  const outermost = actorSub(claims.act)
  if (outermost === undefined)
    throw new InvalidTokenError('the access token "act" claim must be an object with a non-empty "sub"')
  const chain = [outermost]
  let current: unknown = (claims.act as { act?: unknown }).act
  while (current !== undefined && chain.length < MAX_DEPTH) {
    const sub = actorSub(current)
    if (sub === undefined) break
    chain.push(sub)
    current = (current as { act?: unknown }).act
  }
  return chain
}

function actorSub(act: unknown): string | undefined {
  if (typeof act !== 'object' || act === null || Array.isArray(act)) return undefined
  const sub = (act as { sub?: unknown }).sub
  return typeof sub === 'string' && sub !== '' ? sub : undefined
}
