import type { Middleware } from 'koa'
import type { KoaContextWithOIDC } from 'oidc-provider'
import { InvalidClientError } from '@ema/tokens'
import { oauthErrorResponse, type Logger } from '@ema/server-kit'

/** Request members that carry client credentials (RFC 6749 §2.3, RFC 7523 §2.2). */
const CREDENTIAL_PARAMETERS = ['client_id', 'client_secret', 'client_assertion'] as const

/** The endpoints where the client authenticates: token, RFC 7009 revocation, RFC 7662 introspection. */
const CLIENT_AUTHENTICATED_ROUTES = new Set(['token', 'revocation', 'introspection'])

/**
 * A token request with no client authentication at all is `invalid_client`, HTTP 401
 * (RFC 6749 §5.2; IDP-09, IDP-57, AS-08); so is such a revocation (RFC 7009 §2.1) or introspection
 * request (RFC 7662 §2.1, §2.3).
 *
 * oidc-provider 9 answers that one case with 400 `invalid_request`. This Koa middleware (install it
 * with `provider.use`, a public API) turns exactly that case — a token request refused with
 * `invalid_request` before any client was identified, which carried no credentials at all — into
 * the 401. It looks at what was presented, not at oidc-provider's wording, so an upgrade that
 * rephrases the message does not silently undo it. Every other client authentication failure is
 * already a 401 `invalid_client` from oidc-provider.
 */
export function requireClientAuthentication(log: Logger): Middleware<object, KoaContextWithOIDC> {
  return async function requireClientAuthenticationMiddleware(ctx, next) {
    await next()
    const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined
    if (
      oidc === undefined ||
      !CLIENT_AUTHENTICATED_ROUTES.has(oidc.route) ||
      ctx.status !== 400 ||
      oidc.client !== undefined
    )
      return
    const body: unknown = ctx.body
    if (typeof body !== 'object' || body === null || (body as { error?: unknown }).error !== 'invalid_request') return
    const form = oidc.body ?? {}
    const presented = ctx.get('authorization') !== '' || CREDENTIAL_PARAMETERS.some((name) => form[name] !== undefined)
    if (presented) return
    const {
      status,
      headers,
      body: errorBody,
    } = oauthErrorResponse(new InvalidClientError('client authentication is required'), { log })
    ctx.status = status
    ctx.set(headers)
    ctx.body = errorBody
  }
}
