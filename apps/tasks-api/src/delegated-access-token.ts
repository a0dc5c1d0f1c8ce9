import { readBearerToken } from '@ema/server-kit'
import {
  actorChain,
  InvalidTokenError,
  parseScope,
  createAccessTokenVerifier,
  type FrozenAccessTokenClaims,
  type VerifyAccessTokenOptions,
} from '@ema/tokens'
import type { Request, RequestHandler } from 'express'
import type { TasksApiConfig } from './config.ts'

/** A verified on-behalf-of access token: the user (`sub`), the party acting now and the chain before it. */
export interface DelegatedAccessToken {
  claims: FrozenAccessTokenClaims
  scopes: string[]
  /** OBO-13: the current actor, the outermost `act.sub`. */
  actor: string
  /** The current actor first, then each earlier actor (RFC 8693 §4.1). */
  actorsChain: string[]
}

/** An express request after `requireDelegatedAccessToken`. */
export type DelegatedRequest = Request & { delegation?: DelegatedAccessToken }

export interface RequireDelegatedAccessTokenDeps {
  now: () => Date
  /** The authorization server's public keys (a cached remote JWKS, built once). */
  authorizationServerKeys: VerifyAccessTokenOptions['keys']
}

/**
 * OBO-18, OBO-13, OBO-01: authenticates a request to the Tasks API, in order:
 * 1. the bearer token, only from the Authorization header (server-kit `readBearerToken`, as at the MCP server);
 * 2. `createAccessTokenVerifier` (packages/tokens, as at the MCP server): `typ` at+jwt, signature with the AS's
 *    keys, `iss`, `aud` = our identifier, `exp`. The MCP server's own inbound token has `aud` = the MCP
 *    server, so passing it through fails here, loudly (OBO-01);
 * 3. delegation is required: a token without `act` is refused (OBO-19: no impersonation here);
 * 4. the current actor (outermost `act.sub`, OBO-13) must be one we allow. Deeper actors carry no authority.
 *
 * Does NOT check scopes: each route does (`requireScope`).
 */
export function requireDelegatedAccessToken(
  config: TasksApiConfig,
  deps: RequireDelegatedAccessTokenDeps,
): RequestHandler {
  const allowed = new Set(config.allowedActors)
  const accessTokens = createAccessTokenVerifier({
    issuer: config.authorizationServer.issuer,
    keys: deps.authorizationServerKeys,
    audience: config.identifier,
    cacheEntries: config.accessTokenCacheEntries, // decision 0100
  })
  return async (req: DelegatedRequest, _res, next) => {
    const token = readBearerToken(req) //                          RS-05, RS-08, RS-12 at this API too
    const claims = await accessTokens.verify(token, deps.now()) // OBO-18: typ, signature, iss, aud, exp
    const chain = actorChain(claims) //                            RFC 8693 §4.1
    if (chain === undefined) throw new InvalidTokenError('delegation required: the token has no act claim') // OBO-19
    const actor = chain[0]!
    if (!allowed.has(actor)) throw new InvalidTokenError(`actor ${printable(actor)} is not allowed to act at this API`) // OBO-13
    req.delegation = { claims, scopes: parseScope(claims.scope), actor, actorsChain: chain }
    next()
  }
}

/** An actor name for an error description: printable ASCII, at most 64 characters. */
function printable(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 64)
}
