import { parseScope } from '@ema/tokens'
import type { AccessTokenResponse } from './redeem-id-jag.ts'

/** An access token from an earlier run, with what it is bound to. */
export interface CachedAccessToken {
  accessToken: AccessTokenResponse
  grantedScope: string | undefined
  /** The issuer of the authorization server that issued it. */
  authorizationServer: string
  /** The resource it was issued for. */
  resource: string
  /** The client it was issued to, at that authorization server. */
  clientId: string
  /** When it expires (epoch ms), from `expires_in` at issue time. */
  expiresAt: number
}

/** A cached token with less than this left is not reused: it could expire mid-request. */
const ACCESS_TOKEN_EXPIRY_MARGIN_MS = 30_000

export interface CachedTokenContext {
  /** The authorization server the protected resource names now, and the resource. */
  issuer: string
  resource: string
  /** This run's registration at that authorization server. */
  clientId: string
  /** The operator's least-privilege scopes, if any: a broader token is not reused. */
  pinnedScope: string | undefined
  now: number
}

/**
 * Whether a token kept from an earlier run may be sent now. Only a token from the authorization
 * server this resource names now, for this resource and this client (CL-43); with more than
 * {@link ACCESS_TOKEN_EXPIRY_MARGIN_MS} left (CL-44); and, when the operator pinned scopes, with no
 * scope beyond them (least privilege). Otherwise the exchange runs again.
 *
 * Does NOT verify the token (it is opaque to the client): the MCP server's 401 says when it is no
 * longer good, and the SDK then re-acquires one (CL-44).
 */
export function usableCachedToken(
  cached: CachedAccessToken | undefined,
  context: CachedTokenContext,
): CachedAccessToken | undefined {
  if (cached === undefined) return undefined
  if (
    cached.authorizationServer !== context.issuer ||
    cached.resource !== context.resource ||
    cached.clientId !== context.clientId
  )
    return undefined // CL-43
  if (cached.expiresAt - context.now <= ACCESS_TOKEN_EXPIRY_MARGIN_MS) return undefined // CL-44
  if (context.pinnedScope !== undefined) {
    const pinned = parseScope(context.pinnedScope)
    const granted = parseScope(cached.grantedScope)
    if (granted.length === 0 || granted.some((scope) => !pinned.includes(scope))) return undefined
  }
  return cached
}
