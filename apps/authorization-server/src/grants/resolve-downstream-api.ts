import { InvalidRequestError, InvalidTargetError } from '@ema/tokens'
import type { DownstreamApi } from '../config.ts'
import type { AuthenticatedClient } from './require-confidential-client.ts'

/** The downstream API named by the exchange, and what this client may obtain there. */
export interface DownstreamTarget {
  api: DownstreamApi
  /** OBO-10: the scopes of the API this client may obtain (its client grant). */
  clientScopes: readonly string[]
}

/**
 * OBO-05, OBO-16: the one downstream API named by `audience` and/or `resource`.
 *
 * - At least one of them is required (Auth0 requires `audience`; either is taken here): `invalid_request`.
 * - A `resource` must be an absolute URI without a fragment (RFC 8707 §2): otherwise `invalid_target`.
 * - Every value must be, exactly, the identifier of a registered downstream API, and all values the
 *   same API (one exchange, one token, one `aud`): otherwise `invalid_target` (RFC 8693 §2.2.2).
 * - The client must have a client grant for that API (OBO-10): otherwise `invalid_target`.
 */
export function resolveDownstreamApi(
  audience: readonly string[],
  resource: readonly string[],
  apis: readonly DownstreamApi[],
  client: AuthenticatedClient,
): DownstreamTarget {
  if (audience.length === 0 && resource.length === 0) {
    throw new InvalidRequestError('name the downstream API with the "audience" and/or "resource" parameter')
  }
  for (const value of resource) {
    // RFC 8707 §2: an absolute URI, no fragment.
    if (!URL.canParse(value) || value.includes('#'))
      throw new InvalidTargetError(
        `the resource "${shorten(value)}" is not an absolute URI without a fragment (RFC 8707 §2)`,
      )
  }
  const named = [...new Set([...audience, ...resource])]
  const found: DownstreamApi[] = []
  for (const value of named) {
    const api = apis.find((candidate) => candidate.identifier === value)
    if (api === undefined)
      throw new InvalidTargetError(`"${shorten(value)}" is not a downstream API of this authorization server`)
    found.push(api)
  }
  const [api, ...others] = found
  if (api === undefined || others.length > 0) {
    throw new InvalidTargetError(
      `audience and resource name more than one downstream API (${named.map(shorten).join(', ')}); one exchange issues a token for one API`,
    )
  }
  const grant = api.client_grants.find((candidate) => candidate.client_id === client.clientId)
  if (grant === undefined) {
    throw new InvalidTargetError(
      `client ${client.clientId} may not obtain tokens for ${api.identifier}: it has no client grant for that API`,
    )
  }
  return { api, clientScopes: grant.scopes }
}

/** A request value, safe and short enough to repeat in a description. */
function shorten(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, "'")
  return printable.length > 100 ? `${printable.slice(0, 97)}...` : printable
}
