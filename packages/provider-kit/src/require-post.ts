import { InvalidRequestError } from '@ema/tokens'
import { oauthErrorResponse, type Logger } from '@ema/server-kit'
import type { RequestHandler } from 'express'

/**
 * RFC 6749 §3.2: the client MUST use POST at the token endpoint (AS-07). Any other method is refused
 * with a JSON `invalid_request` and `Allow: POST` (405), never oidc-provider's plain-text 404, and
 * never by reading parameters (and an assertion or subject token) from the query string (SEC-02).
 * Mount it with `app.all(tokenPath, requirePost(log))` before the provider.
 */
export function requirePost(log: Logger): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'POST') return next()
    const { headers, body } = oauthErrorResponse(new InvalidRequestError('the token endpoint accepts only POST'), { log })
    res.status(405).set({ ...headers, allow: 'POST' }).json(body)
  }
}
