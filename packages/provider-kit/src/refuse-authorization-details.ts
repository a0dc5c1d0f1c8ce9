import type { Middleware } from 'koa'
import type { KoaContextWithOIDC } from 'oidc-provider'
import { InvalidAuthorizationDetailsError } from '@ema/tokens'
import { oauthErrorResponse, type Logger } from '@ema/server-kit'

const REFUSAL = new InvalidAuthorizationDetailsError(
  'authorization_details (RFC 9396) is not supported by this server: no authorization details type is known here; ask with scope instead',
)

/**
 * IDP-18, AS-28 are knowingly unmet (docs/security.md): this implementation processes no RFC 9396
 * authorization details. A token request that carries `authorization_details` is refused with
 * `invalid_authorization_details` (RFC 9396 §5: every type is unknown here) instead of being answered
 * as if the parameter had not been sent, which would grant something other than what was asked for.
 *
 * Call it first in a grant handler, before anything is consumed; the grant must list
 * `authorization_details` among its parameters, or oidc-provider strips it first.
 *
 * @throws {InvalidAuthorizationDetailsError} when the parameter is present, whatever its value.
 */
export function refuseAuthorizationDetails(params: Readonly<Record<string, unknown>>): void {
  if (params.authorization_details !== undefined) throw REFUSAL
}

/**
 * The same refusal for the requests oidc-provider refuses before a grant handler runs: with
 * `authorization_details` and no `resource` it answers `invalid_target` ("resource indicator must be
 * provided … when Rich Authorization Requests are used"), which points a developer the wrong way.
 * Install with `provider.use`. Only an authenticated client's request is answered this way: a request
 * without client authentication keeps its 401 `invalid_client`.
 */
export function answerAuthorizationDetailsRefusals(log: Logger): Middleware<object, KoaContextWithOIDC> {
  return async function answerAuthorizationDetailsRefusalsMiddleware(ctx, next) {
    await next()
    const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined
    if (
      oidc?.route !== 'token' ||
      ctx.status !== 400 ||
      oidc.client === undefined ||
      oidc.body?.authorization_details === undefined
    )
      return
    const { status, headers, body } = oauthErrorResponse(REFUSAL, { log })
    ctx.status = status
    ctx.set(headers)
    ctx.body = body
  }
}
