import type { Middleware } from 'koa'
import { InvalidRequestError } from '@ema/tokens'
import { oauthErrorResponse, type Logger } from '@ema/server-kit'

/**
 * RFC 6749 §3.2: the client MUST use POST at the token endpoint (AS-07). Any other method is refused
 * with a JSON `invalid_request` and `Allow: POST` (405), never oidc-provider's plain-text 404, and
 * never by reading parameters (and an assertion or subject token) from the query string (SEC-02).
 *
 * A Koa middleware: install it with `provider.use`, so that it runs inside oidc-provider with nothing
 * in front of it (decision 0023). `tokenPath` is oidc-provider's `routes.token`.
 */
export function requirePost(tokenPath: string, log: Logger): Middleware {
  return async function requirePostMiddleware(ctx, next) {
    if (ctx.path !== tokenPath || ctx.method === 'POST') return next()
    const { headers, body } = oauthErrorResponse(new InvalidRequestError('the token endpoint accepts only POST'), {
      log,
    })
    ctx.status = 405
    ctx.set({ ...headers, allow: 'POST' })
    ctx.body = body
  }
}
