import { NoBearerTokenError, oauthErrorResponse, type Logger } from '@ema/server-kit'
import type { Response } from 'express'

export interface SendOAuthErrorOptions {
  /** The RFC 9728 metadata URL named in every challenge (RS-05). */
  resourceMetadata: string
  /** The scopes named in a 401 challenge (RS-06). An insufficient_scope error names its own (RS-07). */
  scope: string
  log: Logger
}

/**
 * The one place this app turns a refusal into a response, through server-kit's `oauthErrorResponse`:
 * status, JSON body and the RFC 6750 §3 challenge. A request with no credentials at all gets a
 * challenge without `error` (RFC 6750 §3.1), only `resource_metadata` and `scope` (RS-05, RS-06).
 */
export function sendOAuthError(res: Response, error: unknown, options: SendOAuthErrorOptions): void {
  const { status, headers, body } = oauthErrorResponse(error, {
    resourceMetadata: options.resourceMetadata,
    scope: options.scope,
    credentialsPresented: !(error instanceof NoBearerTokenError),
    log: options.log,
  })
  if (res.headersSent) {
    res.end()
    return
  }
  res.status(status).set(headers).json(body)
}
