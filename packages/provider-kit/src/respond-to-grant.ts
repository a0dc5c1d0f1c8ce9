import { oauthErrorResponse, type Logger } from '@ema/server-kit'
import type { KoaContextWithOIDC } from 'oidc-provider'

/**
 * Runs a custom grant registered with oidc-provider's `registerGrantType` and writes its answer:
 * the token response as 200 JSON with `Cache-Control: no-store` and `Pragma: no-cache`
 * (RFC 6749 §5.1; IDP-28, AS-35), or any refusal through the one error renderer, so the wire body
 * is exactly `{ error, error_description }` with the spec's status (RFC 6749 §5.2; IDP-51).
 *
 * oidc-provider would otherwise replace our descriptions with its generic "grant request is invalid".
 *
 * `log` is a getter so that a refusal is logged with the fields the grant bound as it went (`jti`, `sub` …).
 */
export async function respondToGrant(
  ctx: KoaContextWithOIDC,
  log: () => Logger,
  grant: () => Promise<object>,
): Promise<void> {
  try {
    const response = await grant()
    ctx.status = 200
    ctx.set('cache-control', 'no-store')
    ctx.set('pragma', 'no-cache')
    ctx.body = response
  } catch (error) {
    const { status, headers, body } = oauthErrorResponse(error, {
      log: log(),
      usedAuthorizationHeader: ctx.get('authorization') !== '',
    })
    ctx.status = status
    ctx.set(headers)
    ctx.body = body
  }
}
