import {
  InsufficientScopeError,
  InvalidClientError,
  InvalidRequestError,
  InvalidTokenError,
  toOAuthError,
  type OAuthErrorBody,
} from '@ema/tokens'
import type { Logger } from './logger.ts'

export interface OAuthErrorResponse {
  status: number
  headers: Record<string, string>
  body: OAuthErrorBody
}

export interface OAuthErrorResponseOptions {
  /** For errors at a protected resource: the RFC 9728 metadata URL for `WWW-Authenticate` (RS-05). */
  resourceMetadata?: string
  /** For errors at a protected resource: the scopes to name in the challenge (RS-06, RS-07). */
  scope?: string
  /**
   * At a protected resource: whether the request carried any credentials. Without any, the challenge
   * names no `error` (RFC 6750 §3.1), only `resource_metadata` and `scope` (RS-05, RS-06). Default true.
   */
  credentialsPresented?: boolean
  /** Whether the client authenticated with the Authorization header (RFC 6749 §5.2 `invalid_client`). */
  usedAuthorizationHeader?: boolean
  log?: Logger
}

/**
 * The one place an error becomes a response: the spec's status and `error` code, a public
 * `error_description`, `Cache-Control: no-store`, and `WWW-Authenticate` where RFC 6750 / RFC 6749
 * call for one. Anything that is not an OAuthError becomes a 500 `server_error` whose description
 * never carries the cause; the cause is logged.
 */
export function oauthErrorResponse(error: unknown, options: OAuthErrorResponseOptions = {}): OAuthErrorResponse {
  const oauth = toOAuthError(error)
  const headers: Record<string, string> = {
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'content-type': 'application/json',
  }
  const atResource = options.resourceMetadata !== undefined
  if (
    oauth instanceof InvalidTokenError ||
    oauth instanceof InsufficientScopeError ||
    (atResource && oauth instanceof InvalidRequestError)
  ) {
    // RFC 6750 §3, RFC 9728 §5.1: the Bearer challenge.
    const scope =
      oauth instanceof InsufficientScopeError
        ? oauth.requiredScopes.join(' ')
        : oauth instanceof InvalidTokenError
          ? options.scope
          : undefined
    const scopeParam = scope ? [`scope="${quote(scope)}"`] : []
    const metadataParam = options.resourceMetadata ? [`resource_metadata="${quote(options.resourceMetadata)}"`] : []
    const params =
      oauth instanceof InvalidTokenError && options.credentialsPresented === false
        ? [...metadataParam, ...scopeParam] // as in the MCP authorization spec's example 401
        : [`error="${oauth.error}"`, `error_description="${quote(oauth.description)}"`, ...scopeParam, ...metadataParam]
    headers['www-authenticate'] = `Bearer ${params.join(', ')}`
  } else if (oauth instanceof InvalidClientError && options.usedAuthorizationHeader) {
    headers['www-authenticate'] = 'Basic realm="token endpoint"'
  }
  if (options.log) {
    const fields = {
      error: oauth.error,
      status: oauth.status,
      cause: oauth.cause instanceof Error ? oauth.cause : undefined,
    }
    if (oauth.status >= 500) options.log.error(`refused: ${oauth.description}`, fields)
    else options.log.info(`refused: ${oauth.description}`, fields)
  }
  return { status: oauth.status, headers, body: oauth.toJSON() }
}

/**
 * RFC 6750 §3: `error_description` and `scope` in `WWW-Authenticate` may hold only %x20-21 /
 * %x23-5B / %x5D-7E. Anything else (quotes, backslashes, control characters, non-ASCII) would either
 * break the header or make Node refuse to send it, so it becomes `'` or `?`.
 */
function quote(value: string): string {
  return value.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?')
}
