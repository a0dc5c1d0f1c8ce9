import { Agent as HttpsAgent } from 'node:https'
import type { Logger } from '@ema/server-kit'
import { loadClientCertificate, postTokenRequest, type TokenExchangeConfig } from '@ema/token-exchange'
import { InvalidTokenError, TemporarilyUnavailableError, type FrozenAccessTokenClaims } from '@ema/tokens'
import { readFileSync } from 'node:fs'

/** TOKEN_INTROSPECTION=on: where and how this server asks the authorization server (RFC 7662, decision 0060). */
export interface TokenIntrospectionConfig {
  /** The AS introspection endpoint, e.g. `https://localhost:4012/introspect` (the mTLS alias) or `http://localhost:4002/introspect`. */
  url: string
  /** This server's client at the AS: the token exchange's own (id, and secret or certificate). */
  client: Pick<TokenExchangeConfig, 'clientId' | 'clientSecret' | 'clientCertificate' | 'caFile'>
  /**
   * How long an `active: true` answer is reused, per token (TOKEN_INTROSPECTION_CACHE_SECONDS, default
   * 10): the revocation window when introspection is on. 0 asks on every request.
   */
  cacheSeconds: number
  /** Most milliseconds for one introspection, connection to last byte. */
  timeoutMs: number
}

export interface TokenIntrospector {
  /**
   * Resolves when the authorization server says the token is active (or said so less than
   * `cacheSeconds` ago).
   *
   * @throws {InvalidTokenError} (401) when it says the token is not active: revoked.
   * @throws {TemporarilyUnavailableError} (503) when it cannot be asked or gives no usable answer: fail closed.
   */
  requireActive(token: string, claims: FrozenAccessTokenClaims): Promise<void>
  /** Introspections sent and cached answers used (for the benchmark and tests). */
  readonly stats: { introspections: number; cacheHits: number }
}

export interface TokenIntrospectorDeps {
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number
  log: Logger
  /** Most cached positive answers; the oldest go first. Default 10 000. */
  maxCacheEntries?: number
}

const MAX_RESPONSE_BYTES = 64 * 1024

/**
 * Asks the authorization server whether an access token that passed every local check is still
 * active (RFC 7662 §2.1), authenticating as the token exchange client does (a secret with
 * `client_secret_basic`, or a certificate with `tls_client_auth` at the mTLS alias). Positive answers
 * are cached per `jti` for `cacheSeconds` (never past the token's `exp`); negative ones never are,
 * so a revoked token stays refused. One introspection in flight per token.
 */
export function createTokenIntrospector(
  config: TokenIntrospectionConfig,
  deps: TokenIntrospectorDeps,
): TokenIntrospector {
  const url = new URL(config.url)
  const now = deps.now ?? Date.now
  const maxEntries = deps.maxCacheEntries ?? 10_000
  const cache = new Map<string, number>() // jti → active until (ms)
  const inFlight = new Map<string, Promise<void>>()
  const stats = { introspections: 0, cacheHits: 0 }
  const mtls = config.client.clientCertificate !== undefined
  let agent: HttpsAgent | undefined

  const httpsAgent = (): HttpsAgent | undefined => {
    if (url.protocol !== 'https:') return undefined
    if (agent !== undefined) return agent
    const tls =
      config.client.clientCertificate !== undefined
        ? loadClientCertificate(config.client.clientCertificate)
        : { ca: config.client.caFile === undefined ? undefined : readFileSync(config.client.caFile, 'utf8') }
    agent = new HttpsAgent({
      keepAlive: true,
      ...Object.fromEntries(Object.entries(tls).filter(([, value]) => value !== undefined)),
    })
    return agent
  }

  const unavailable = (description: string, cause?: unknown) =>
    new TemporarilyUnavailableError(
      `cannot check with the authorization server whether the token was revoked: ${description}; try again later`,
      cause === undefined ? undefined : { cause },
    )

  const ask = async (token: string, claims: FrozenAccessTokenClaims): Promise<void> => {
    const form = new URLSearchParams({ token, token_type_hint: 'access_token' })
    const headers: Record<string, string> = {}
    if (mtls)
      form.set('client_id', config.client.clientId) // RFC 8705 §2
    else
      headers['authorization'] =
        `Basic ${Buffer.from(`${encodeURIComponent(config.client.clientId)}:${encodeURIComponent(config.client.clientSecret ?? '')}`).toString('base64')}`
    stats.introspections++
    let response
    try {
      response = await postTokenRequest(url, headers, form, {
        agent: httpsAgent(),
        timeoutMs: config.timeoutMs,
        maxBytes: MAX_RESPONSE_BYTES,
      })
    } catch (cause) {
      deps.log.warn('token introspection failed: no answer from the authorization server', {
        introspection_url: url.href,
        jti: claims.jti,
        cause: cause instanceof Error ? cause.message : String(cause),
      })
      throw unavailable('it cannot be reached', cause)
    }
    const body = response.body as { active?: unknown; jti?: unknown } | undefined
    if (response.status !== 200 || typeof body !== 'object' || body === null || typeof body.active !== 'boolean') {
      deps.log.error('token introspection failed: the authorization server gave no usable answer', {
        introspection_url: url.href,
        status: response.status,
        error: (body as { error?: unknown } | undefined)?.error,
        client_id: config.client.clientId,
      })
      throw unavailable(`its introspection endpoint answered HTTP ${response.status}`)
    }
    if (body.active !== true || (body.jti !== undefined && body.jti !== claims.jti)) {
      deps.log.info('access token refused: the authorization server says it is not active (revoked)', {
        jti: claims.jti,
        sub: claims.sub,
        client_id: claims.client_id,
      })
      throw new InvalidTokenError('the token was revoked: the authorization server reports it is no longer active')
    }
    const until = Math.min(now() + config.cacheSeconds * 1000, claims.exp * 1000)
    if (until > now()) {
      cache.delete(claims.jti)
      cache.set(claims.jti, until)
      while (cache.size > maxEntries) cache.delete(cache.keys().next().value!)
    }
  }

  return {
    stats,
    requireActive: async (token, claims) => {
      const until = cache.get(claims.jti)
      if (until !== undefined) {
        if (until > now()) {
          stats.cacheHits++
          return
        }
        cache.delete(claims.jti)
      }
      const pending = inFlight.get(claims.jti)
      if (pending !== undefined) return pending
      const asking = ask(token, claims).finally(() => inFlight.delete(claims.jti))
      inFlight.set(claims.jti, asking)
      return asking
    },
  }
}
