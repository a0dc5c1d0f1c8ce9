import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'

/**
 * One request listener for a server built on oidc-provider: the paths oidc-provider serves on the hot
 * path (the token endpoint, the JWKS, its discovery document …) go straight to `provider.callback()`,
 * and everything else to `app` (express: sign-in pages, RFC 8414 metadata, health). Express in front
 * of oidc-provider cost more per token request than oidc-provider itself: it re-prototypes `req` and
 * `res`, and Koa then runs slower on them (decision 0023). What express used to do in front of
 * `/token` (POST only, the rate limit) runs inside oidc-provider as Koa middleware (`provider.use`).
 *
 * `paths` are compared with the request path exactly (no prefix match, the query ignored); a path not
 * listed still reaches oidc-provider through `app` if `app` ends with the provider's handler.
 */
export function providerFirst(
  providerHandler: RequestListener,
  app: RequestListener,
  paths: readonly string[],
): RequestListener {
  const direct = new Set(paths)
  return function providerFirstListener(req: IncomingMessage, res: ServerResponse) {
    const url = req.url ?? '/'
    const query = url.indexOf('?')
    const path = query === -1 ? url : url.slice(0, query)
    if (direct.has(path)) providerHandler(req, res)
    else app(req, res)
  }
}
