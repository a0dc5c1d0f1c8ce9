import { InvalidRequestError, InvalidTokenError, parseScope, verifyAccessToken, type AccessTokenClaims, type OAuthErrorOptions, type VerifyAccessTokenOptions } from '@ema/tokens'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import type { Logger } from '@ema/server-kit'
import type { Request, RequestHandler } from 'express'
import type { ResourceServerConfig } from './config.ts'

/** An express request after `requireBearerToken`: `auth` is what the SDK transport hands to tools as `extra.authInfo`. */
export type AuthenticatedRequest = Request & { auth?: AuthInfo }

/**
 * RFC 6750 §3.1: the request carried no bearer token at all. It is still `invalid_token` on the
 * wire body, but the challenge names no error code (see `sendOAuthError`).
 */
export class NoBearerTokenError extends InvalidTokenError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super(description, options)
    this.name = 'NoBearerTokenError'
  }
}

export interface RequireBearerTokenDeps {
  now: () => Date
  /** The MCP authorization server's public keys (a cached remote JWKS, built once). */
  authorizationServerKeys: VerifyAccessTokenOptions['keys']
  log: Logger
}

/** RFC 6750 §2.1 `b64token`. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/**
 * Authenticates every request to the MCP endpoint, in the order RFC 6750 and the MCP authorization
 * spec process it, and attaches the SDK's AuthInfo as `req.auth`.
 */
export function requireBearerToken(config: ResourceServerConfig, deps: RequireBearerTokenDeps): RequestHandler {
  return async (req: AuthenticatedRequest, _res, next) => {
    rejectTokenOutsideHeader(req) //                         RS-12
    const token = readAuthorizationHeader(req) //             RS-05, RS-08
    const claims = await verifyAccessToken(token, { //       RS-09, RS-10, RS-11
      issuer: config.authorizationServer.issuer,
      keys: deps.authorizationServerKeys,
      audience: config.resource,
      now: deps.now(),
    })
    req.auth = toAuthInfo(token, claims, config.resource)
    deps.log.debug('access token accepted', { jti: claims.jti, iss: claims.iss, sub: claims.sub, client_id: claims.client_id, scope: claims.scope })
    next()
  }
}

/**
 * RS-12: the token travels only in the Authorization header. A token in the query string (RFC 6750
 * §2.3) or in a form body (§2.2) is refused outright, even next to a valid header.
 */
function rejectTokenOutsideHeader(req: Request): void {
  const query: unknown = req.query
  if (hasAccessTokenParameter(query)) {
    throw new InvalidRequestError('access tokens are accepted only in the Authorization header, never in the query string')
  }
  if (req.is('application/x-www-form-urlencoded') && hasAccessTokenParameter(req.body)) {
    throw new InvalidRequestError('access tokens are accepted only in the Authorization header, never in a form body')
  }
}

function hasAccessTokenParameter(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, 'access_token')
}

/** RS-05: no header (or another scheme) → 401 without an error code; a malformed Bearer value → 400 (RS-08). */
function readAuthorizationHeader(req: Request): string {
  // RS-08, RFC 9110 §5.3: Authorization is a singleton field. Node keeps only the first of several
  // and drops the rest, so "which credential did we check?" would depend on the order a proxy
  // wrote them in. Two or more are a malformed request, whatever they carry.
  if (countHeader(req.rawHeaders, 'authorization') > 1) {
    throw new InvalidRequestError('the request carries more than one Authorization header')
  }
  const header = req.headers.authorization
  if (header === undefined || header.trim() === '') {
    throw new NoBearerTokenError('this resource needs an access token in the Authorization header (Bearer)')
  }
  if (!/^Bearer(\s|$)/i.test(header)) {
    throw new NoBearerTokenError('the Authorization header does not carry a Bearer token')
  }
  const match = BEARER.exec(header)
  if (match === null || match[1] === undefined) {
    throw new InvalidRequestError('the Authorization header is not of the form "Bearer <token>"')
  }
  return match[1]
}

/** How many times the field `name` (lower case) appears in Node's `rawHeaders` (name, value, name, value …). */
function countHeader(rawHeaders: readonly string[], name: string): number {
  let count = 0
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]?.toLowerCase() === name) count++
  return count
}

/** The shape the MCP SDK passes to tool handlers as `extra.authInfo`. */
function toAuthInfo(token: string, claims: AccessTokenClaims, resource: string): AuthInfo {
  const extra: Record<string, unknown> = { iss: claims.iss, sub: claims.sub, jti: claims.jti }
  if (typeof claims.idp === 'string') extra['idp'] = claims.idp
  return {
    token,
    clientId: claims.client_id,
    scopes: parseScope(claims.scope),
    expiresAt: claims.exp,
    resource: new URL(resource),
    extra,
  }
}
