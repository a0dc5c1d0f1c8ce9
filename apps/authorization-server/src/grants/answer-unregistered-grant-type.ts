import type { Middleware } from 'koa'
import type { KoaContextWithOIDC } from 'oidc-provider'
import { GRANT_TYPE, UnauthorizedClientError } from '@ema/tokens'
import { oauthErrorResponse, type Logger } from '@ema/server-kit'

/**
 * RFC 6749 §5.2: a grant type this server supports, used by an authenticated client that is not
 * registered for it, is `unauthorized_client`. oidc-provider 9 answers 400 `invalid_request`
 * ("requested grant type is not allowed for this client"). Since decision 0050 that happens whenever
 * an EMA client tries the authorization code grant, or an interactive client jwt-bearer or the token
 * exchange: this middleware (install with `provider.use`) turns exactly that case, decided by the
 * client's registration and not by oidc-provider's wording, into the right code with a description
 * that says which registration the grant needs.
 */
export function answerUnregisteredGrantType(log: Logger): Middleware<object, KoaContextWithOIDC> {
  return async function answerUnregisteredGrantTypeMiddleware(ctx, next) {
    await next()
    const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined
    if (oidc?.route !== 'token' || ctx.status !== 400 || oidc.client === undefined) return
    const body: unknown = ctx.body
    if (typeof body !== 'object' || body === null || (body as { error?: unknown }).error !== 'invalid_request') return
    const grantType = oidc.params?.grant_type
    if (typeof grantType !== 'string' || oidc.client.grantTypeAllowed(grantType)) return
    const needs =
      grantType === GRANT_TYPE.AUTHORIZATION_CODE
        ? 'the authorization code flow needs a registration with redirect_uris'
        : 'a registration with redirect_uris (an interactive client) may use only the authorization code flow'
    const refusal = new UnauthorizedClientError(
      `client ${oidc.client.clientId} is not registered for the ${grantType} grant: ${needs}`,
    )
    const { status, headers, body: errorBody } = oauthErrorResponse(refusal, { log })
    ctx.status = status
    ctx.set(headers)
    ctx.body = errorBody
  }
}
