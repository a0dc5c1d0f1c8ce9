import {
  createAccessTokenVerifier,
  parseScope,
  type FrozenAccessTokenClaims,
  type VerifyAccessTokenOptions,
} from '@ema/tokens'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { readBearerToken, type Logger } from '@ema/server-kit'
import type { Request, RequestHandler } from 'express'
import type { ResourceServerConfig } from './config.ts'
import type { TokenIntrospector } from './token-introspection.ts'

/** An express request after `requireBearerToken`: `auth` is what the SDK transport hands to tools as `extra.authInfo`. */
export type AuthenticatedRequest = Request & { auth?: AuthInfo }

export interface RequireBearerTokenDeps {
  now: () => Date
  /** The MCP authorization server's public keys (a cached remote JWKS, built once). */
  authorizationServerKeys: VerifyAccessTokenOptions['keys']
  /** TOKEN_INTROSPECTION=on (decision 0060): asks the AS whether the token was revoked. Absent → local checks only. */
  introspector?: TokenIntrospector | undefined
  log: Logger
}

/**
 * Authenticates every request to the MCP endpoint, in the order RFC 6750 and the MCP authorization
 * spec process it, and attaches the SDK's AuthInfo as `req.auth`.
 */
export function requireBearerToken(config: ResourceServerConfig, deps: RequireBearerTokenDeps): RequestHandler {
  const accessTokens = createAccessTokenVerifier({
    issuer: config.authorizationServer.issuer,
    keys: deps.authorizationServerKeys,
    audience: config.resource,
    cacheEntries: config.accessTokenCacheEntries, // decision 0100
  })
  // The AuthInfo of each remembered token's claims (the verifier hands out the same frozen object each time).
  const authInfos = new WeakMap<FrozenAccessTokenClaims, AuthInfo>()
  return async (req: AuthenticatedRequest, _res, next) => {
    const token = readBearerToken(req) //                     RS-05, RS-08, RS-12 (server-kit, shared with the Tasks API)
    const claims = await accessTokens.verify(token, deps.now()) // RS-09, RS-10, RS-11
    await deps.introspector?.requireActive(token, claims) // decision 0060: revoked → 401, AS unreachable → 503
    let auth = authInfos.get(claims)
    if (auth === undefined) authInfos.set(claims, (auth = toAuthInfo(token, claims, config.resource)))
    req.auth = auth
    deps.log.debug('access token accepted', {
      jti: claims.jti,
      iss: claims.iss,
      sub: claims.sub,
      client_id: claims.client_id,
      scope: claims.scope,
    })
    next()
  }
}

/** The shape the MCP SDK passes to tool handlers as `extra.authInfo`; frozen, as it is shared by the token's requests. */
function toAuthInfo(token: string, claims: FrozenAccessTokenClaims, resource: string): AuthInfo {
  const extra: Record<string, unknown> = { iss: claims.iss, sub: claims.sub, jti: claims.jti }
  if (typeof claims.idp === 'string') extra['idp'] = claims.idp
  return Object.freeze({
    token,
    clientId: claims.client_id,
    // The SDK types `scopes` as string[]; frozen, a write would throw instead of changing the next request's.
    scopes: Object.freeze(parseScope(claims.scope)) as string[],
    expiresAt: claims.exp,
    resource: new URL(resource), // a URL's setters ignore freezing: one per token, not one for all
    extra: Object.freeze(extra),
  })
}
