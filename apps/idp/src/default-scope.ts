import type { Middleware } from 'koa'
import type { KoaContextWithOIDC } from 'oidc-provider'

/** RFC 6749 §3.3: the pre-defined scope of an authorization request that names none: sign the user in. */
const DEFAULT_SCOPE = 'openid'

/**
 * RFC 6749 §3.3: a client may omit `scope`, and the server then MUST either use a pre-defined default
 * or fail the request with `invalid_scope`. oidc-provider 9 does neither: it signs the user in and
 * then ends the request with `access_denied` ("no scope was granted"). This IdP's job is signing
 * users in, so a GET authorization request without a `scope` (or with an empty one) is processed as
 * `scope=openid`. A request that carries a request object or a PAR `request_uri` is left alone: its
 * parameters are there, not in the query.
 *
 * Install with `provider.use` (a public oidc-provider API); `authorizationPath` is
 * `provider.pathFor('authorization')`.
 */
export function defaultScope(authorizationPath: string): Middleware<object, KoaContextWithOIDC> {
  return async function defaultScopeMiddleware(ctx, next) {
    if (ctx.method === 'GET' && ctx.path === authorizationPath) {
      const params = new URLSearchParams(ctx.querystring)
      const unnamed = (params.get('scope') ?? '').trim() === ''
      if (unnamed && !params.has('request') && !params.has('request_uri')) {
        params.set('scope', DEFAULT_SCOPE)
        ctx.querystring = params.toString()
      }
    }
    await next()
  }
}
