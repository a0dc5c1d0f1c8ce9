import type { IncomingHttpHeaders } from 'node:http'
import { InvalidRequestError, InvalidTokenError, type OAuthErrorOptions } from '@ema/tokens'

/**
 * RFC 6750 §3.1: the request carried no bearer token at all. It is still `invalid_token` on the
 * wire body, but the challenge names no error code (`oauthErrorResponse` with `credentialsPresented: false`).
 */
export class NoBearerTokenError extends InvalidTokenError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super(description, options)
    this.name = 'NoBearerTokenError'
  }
}

/** What `readBearerToken` reads of a request: Node's headers, and express's parsed query and (form) body. */
export interface BearerTokenRequest {
  headers: IncomingHttpHeaders
  rawHeaders: readonly string[]
  /** The parsed query string (express `req.query`). */
  query?: unknown
  /** The parsed body (express `req.body`); read only when the request is a form. */
  body?: unknown
}

/** RFC 6750 §2.1 `b64token`. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/**
 * The bearer token of a request to a protected resource, read the one way every resource here reads
 * it (RS-05, RS-08, RS-12): only from a single `Authorization: Bearer` header.
 *
 * Does NOT verify the token: pass it to `verifyAccessToken`.
 *
 * @throws {InvalidRequestError} for a token in the query string or a form body (RS-12), several
 *   Authorization headers or a malformed Bearer value (RS-08): 400.
 * @throws {NoBearerTokenError} when there is no Authorization header or it is another scheme (RS-05): 401.
 */
export function readBearerToken(req: BearerTokenRequest): string {
  rejectTokenOutsideHeader(req)
  return readAuthorizationHeader(req)
}

/**
 * RS-12: the token travels only in the Authorization header. A token in the query string (RFC 6750
 * §2.3) or in a form body (§2.2) is refused outright, even next to a valid header.
 */
function rejectTokenOutsideHeader(req: BearerTokenRequest): void {
  if (hasAccessTokenParameter(req.query)) {
    throw new InvalidRequestError(
      'access tokens are accepted only in the Authorization header, never in the query string',
    )
  }
  const contentType = req.headers['content-type'] ?? ''
  if (/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType) && hasAccessTokenParameter(req.body)) {
    throw new InvalidRequestError('access tokens are accepted only in the Authorization header, never in a form body')
  }
}

function hasAccessTokenParameter(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, 'access_token')
}

/** RS-05: no header (or another scheme) → 401 without an error code; a malformed Bearer value → 400 (RS-08). */
function readAuthorizationHeader(req: BearerTokenRequest): string {
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
