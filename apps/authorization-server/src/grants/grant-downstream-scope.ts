import { InvalidScopeError, parseScope } from '@ema/tokens'
import type { DownstreamTarget } from './resolve-downstream-api.ts'

/**
 * OBO-06, OBO-10: the scopes of the downstream token. The user never gains rights:
 *
 *   issued ⊆ (the subject token's scopes, mapped to the API's) ∩ (the client's grant) ∩ (the request, if any)
 *
 * - Without `scope`, everything allowed is issued; if that is nothing: `invalid_scope`.
 * - With `scope` (down-scoping, OBO-06), every requested scope must be defined by the API, allowed by
 *   the subject token and by the client's grant; otherwise `invalid_scope` naming the scopes and why.
 *   A request is refused rather than narrowed, so that a caller asking for more than the user holds
 *   learns so at once instead of failing later at the API.
 */
export function grantDownstreamScope(
  subjectScope: string | undefined,
  requestedScope: string | undefined,
  target: DownstreamTarget,
): string[] {
  const { api, clientScopes } = target
  const inbound = parseScope(subjectScope)
  const fromSubject = new Set(inbound.flatMap((scope) => api.scope_mapping[scope] ?? []))
  const allowed = api.scopes.filter((scope) => fromSubject.has(scope) && clientScopes.includes(scope))

  if (requestedScope === undefined) {
    if (allowed.length === 0) {
      throw new InvalidScopeError(
        `no scope of ${api.identifier} can be granted: the subject_token's scopes ("${inbound.join(' ')}") allow none of the scopes this client may obtain there ("${clientScopes.join(' ')}")`,
      )
    }
    return allowed
  }
  const requested = parseScope(requestedScope)
  if (requested.length === 0)
    throw new InvalidScopeError('the "scope" parameter names no scope; leave it out to ask for every scope allowed')
  const undefinedHere = requested.filter((scope) => !api.scopes.includes(scope))
  if (undefinedHere.length > 0)
    throw new InvalidScopeError(`${api.identifier} does not define the scopes: ${undefinedHere.join(' ')}`)
  const notFromSubject = requested.filter((scope) => !fromSubject.has(scope))
  if (notFromSubject.length > 0) {
    throw new InvalidScopeError(
      `the subject_token does not allow ${notFromSubject.join(' ')} (its scopes: "${inbound.join(' ')}"); an exchange never grants the user more than the subject token carries`,
    )
  }
  const notGranted = requested.filter((scope) => !clientScopes.includes(scope))
  if (notGranted.length > 0)
    throw new InvalidScopeError(`this client may not obtain ${notGranted.join(' ')} at ${api.identifier}`)
  return api.scopes.filter((scope) => requested.includes(scope))
}
