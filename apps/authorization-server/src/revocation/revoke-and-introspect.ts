import type { Middleware } from 'koa'
import type { KoaContextWithOIDC } from 'oidc-provider'
import { createLocalJWKSet } from 'jose'
import {
  inspectJwt,
  InvalidClientError,
  InvalidTokenError,
  publicJwks,
  TOKEN_RESPONSE_TYPE,
  verifyAccessToken,
  type AccessTokenClaims,
  type RevocationStore,
  type SigningKey,
} from '@ema/tokens'
import { oauthErrorResponse, type AuditLog, type Logger } from '@ema/server-kit'
import type { RegisteredClient } from '../config.ts'

/** oidc-provider's routes for RFC 7009 and RFC 7662, moved to these paths (decision 0060). */
export const REVOCATION_PATH = '/revoke'
export const INTROSPECTION_PATH = '/introspect'

export interface RevokeAndIntrospectDeps {
  issuer: string
  clients: readonly RegisteredClient[]
  /** Every resource this server issues access tokens for (the MCP servers and the downstream APIs). */
  audiences: readonly string[]
  /** The keys this server signs access tokens with, the current one first. */
  keys: readonly SigningKey[]
  revocationStore: RevocationStore
  now: () => Date
  clockSkewSeconds: number
  log: Logger
  audit?: AuditLog | undefined
}

/**
 * RFC 7009 revocation and RFC 7662 introspection of this server's own RFC 9068 access tokens
 * (SEC-09, decision 0060), as Koa middleware (`provider.use`) around oidc-provider's revocation and
 * introspection endpoints, so that the client is authenticated by oidc-provider exactly as at /token
 * (the same methods, the same registered credentials, the same client-assertion replay checks).
 *
 * oidc-provider knows only its own opaque tokens: for any JWT it answers `unsupported_token_type`
 * after authenticating the client. That answer, with an authenticated client, is where this
 * middleware takes over: it verifies the token as one of ours (signature with our keys, `iss`,
 * `typ` = `at+jwt`, times, a registered `aud`) and then
 * - at /revoke, records its `jti` as revoked until its `exp` if it was issued to the calling client
 *   (`client_id`); anything else (another client's token, a malformed or foreign token) is a 200
 *   with no effect (RFC 7009 §2.2);
 * - at /introspect, answers `active: true` with the token's claims when the caller is the resource
 *   server the token is for (its `resource_server_identifier` is in `aud`) and the token is not
 *   revoked, `{ active: false }` otherwise (RFC 7662 §2.2).
 *
 * Only registered resource servers may introspect (a client with `resource_server_identifier`,
 * authenticated: not `none`); anyone else gets 401 `invalid_client` (RFC 7662 §2.3). A store that
 * cannot answer is 503 `temporarily_unavailable`: never a 200 that revoked nothing, never `active: true`
 * unchecked (fail closed, decision 0040).
 */
export function revokeAndIntrospect(deps: RevokeAndIntrospectDeps): Middleware<object, KoaContextWithOIDC> {
  const keys = createLocalJWKSet(publicJwks(deps.keys))
  const clients = new Map(deps.clients.map((client) => [client.client_id, client]))

  async function verifyOwnAccessToken(token: string): Promise<AccessTokenClaims | undefined> {
    // The audience to verify against: one this server issues tokens for, read from the (yet unverified) token.
    const aud = inspectJwt(token)?.claims.aud
    const audience = (Array.isArray(aud) ? aud : [aud]).find(
      (value): value is string => typeof value === 'string' && deps.audiences.includes(value),
    )
    if (audience === undefined) return undefined
    try {
      return await verifyAccessToken(token, {
        issuer: deps.issuer,
        keys,
        audience,
        now: deps.now(),
        clockSkewSeconds: deps.clockSkewSeconds,
      })
    } catch (error) {
      if (error instanceof InvalidTokenError) return undefined
      throw error
    }
  }

  return async function revokeAndIntrospectMiddleware(ctx, next) {
    await next()
    const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined
    const route = oidc?.route
    if (route !== 'revocation' && route !== 'introspection') return
    const client = oidc?.client
    if (client === undefined) return // client authentication failed: oidc-provider's 401 stands
    const registered = clients.get(client.clientId)
    try {
      if (route === 'introspection') {
        // RFC 7662 §2.1, §2.3: only an authenticated resource server may ask.
        if (client.clientAuthMethod === 'none' || registered?.resource_server_identifier === undefined) {
          throw new InvalidClientError(
            `client "${client.clientId}" may not introspect tokens: only a resource server's client (one with a resource_server_identifier) that authenticates may (RFC 7662 §2.1)`,
          )
        }
      }
      const body: unknown = ctx.body
      const jwtRefused =
        ctx.status === 400 &&
        typeof body === 'object' &&
        body !== null &&
        (body as { error?: unknown }).error === 'unsupported_token_type'
      if (!jwtRefused) return // not a JWT: oidc-provider answered (200 with no effect, or active: false)
      const token = oidc?.params?.['token']
      const claims = typeof token === 'string' ? await verifyOwnAccessToken(token) : undefined
      if (route === 'revocation') {
        ctx.status = 200
        ctx.body = ''
        if (claims === undefined) {
          deps.log.debug('revocation of a token that is not one of ours: nothing to do', { client_id: client.clientId })
          return
        }
        if (claims.client_id !== client.clientId) {
          // RFC 7009 §2.1: a client may revoke only its own tokens; RFC 7009 §2.2: still a 200.
          deps.log.info('revocation refused: the token was issued to another client', {
            client_id: client.clientId,
            jti: claims.jti,
          })
          deps.audit?.record({
            event: 'revocation',
            decision: 'refused',
            jti: claims.jti,
            client_id: client.clientId,
            token_client_id: claims.client_id,
            error: 'the token was issued to another client',
          })
          return
        }
        await deps.revocationStore.revoke(claims.jti, new Date((claims.exp + deps.clockSkewSeconds) * 1000))
        deps.log.info('access token revoked', { client_id: client.clientId, jti: claims.jti, sub: claims.sub })
        deps.audit?.record({
          event: 'revocation',
          decision: 'granted',
          jti: claims.jti,
          client_id: client.clientId,
          sub: claims.sub,
          aud: claims.aud,
        })
        return
      }
      ctx.status = 200
      ctx.set('cache-control', 'no-store')
      ctx.type = 'application/json'
      const aud = claims === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud]
      if (
        claims === undefined ||
        !aud.includes(registered?.resource_server_identifier ?? '') ||
        (await deps.revocationStore.isRevoked(claims.jti))
      ) {
        ctx.body = { active: false }
        return
      }
      ctx.body = {
        active: true,
        scope: claims.scope,
        client_id: claims.client_id,
        sub: claims.sub,
        aud: claims.aud,
        iss: claims.iss,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        token_type: TOKEN_RESPONSE_TYPE.BEARER,
      }
    } catch (error) {
      const response = oauthErrorResponse(error, { log: deps.log })
      ctx.status = response.status
      ctx.set(response.headers)
      ctx.body = response.body
    }
  }
}
