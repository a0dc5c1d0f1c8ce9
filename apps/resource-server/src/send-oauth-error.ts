import { toOAuthError } from '@ema/tokens'
import { oauthErrorResponse, type Logger } from '@ema/server-kit'
import type { Response } from 'express'
import { NoBearerTokenError } from './bearer-token.ts'

export interface SendOAuthErrorOptions {
  /** The RFC 9728 metadata URL named in every challenge (RS-05). */
  resourceMetadata: string
  /** The scopes named in a 401 challenge (RS-06). An insufficient_scope error names its own (RS-07). */
  scope: string
  log: Logger
}

/**
 * The one place this app turns a refusal into a response. server-kit's `oauthErrorResponse` decides
 * status, body and the `invalid_token` / `insufficient_scope` challenges; two RFC 6750 §3 cases are
 * finished here:
 * - no credentials at all: the challenge carries no `error` (RFC 6750 §3.1), only
 *   `resource_metadata` and `scope` (RS-05, RS-06);
 * - `invalid_request` (400): a challenge with `error="invalid_request"` too (RFC 6750 §3).
 */
export function sendOAuthError(res: Response, error: unknown, options: SendOAuthErrorOptions): void {
  const { status, headers, body } = oauthErrorResponse(error, { resourceMetadata: options.resourceMetadata, scope: options.scope, log: options.log })
  const oauth = toOAuthError(error)
  if (error instanceof NoBearerTokenError) {
    headers['www-authenticate'] = bearerChallenge({ resource_metadata: options.resourceMetadata, scope: options.scope })
  } else if (oauth.error === 'invalid_request') {
    headers['www-authenticate'] = bearerChallenge({
      error: oauth.error,
      error_description: oauth.description,
      resource_metadata: options.resourceMetadata,
    })
  }
  if (res.headersSent) {
    res.end()
    return
  }
  res.status(status).set(headers).json(body)
}

/** `Bearer k="v", …` with server-kit's quoting rule (a `"` or `\` inside a value becomes `'`). */
function bearerChallenge(params: Record<string, string>): string {
  const rendered = Object.entries(params).map(([key, value]) => `${key}="${value.replace(/["\\]/g, "'")}"`)
  return `Bearer ${rendered.join(', ')}`
}
