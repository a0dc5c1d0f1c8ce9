import { TemporarilyUnavailableError } from '@ema/tokens'
import { oauthErrorResponse, type Logger } from '@ema/server-kit'
import type { Context, Middleware } from 'koa'
import { InMemoryRateLimitWindows, type RateLimitWindow, type RateLimitWindows } from './rate-limit-windows.ts'

export interface RateLimitTokenEndpointOptions {
  /**
   * The routes whose POSTs are counted: oidc-provider's `routes.token`, and at the MCP authorization
   * server also `routes.revocation` and `routes.introspection` (they authenticate clients as the token
   * endpoint does). Each route has its own windows: a client's introspections never use up its token requests.
   */
  paths: readonly string[]
  /** Requests one client (or one address) may make per minute; `0` switches the limit off. */
  perMinute: number
  /** The clock that starts and ends windows (injected, so tests can move it). */
  now: () => Date
  log: Logger
  /**
   * Where the windows are kept. Default: this process alone ({@link InMemoryRateLimitWindows}); give a
   * shared store (`@ema/redis-store`) so that N instances of the server enforce one limit.
   */
  windows?: RateLimitWindows
}

const WINDOW_MS = 60_000

/**
 * SEC-07, IDP-27: rate-limits a token endpoint per client (and the AS's RFC 7009 revocation and
 * RFC 7662 introspection endpoints, decision 0081). A fixed one-minute window per key; the
 * request that would exceed `perMinute` in its window gets HTTP 429 (RFC 6585 §4) with
 * `Retry-After` (seconds until the window ends) and the JSON body
 * `{ "error": "temporarily_unavailable", "error_description": … }` (decision 0010).
 *
 * The key is the client_id presented in `Authorization: Basic` (RFC 6749 §2.3.1), else the remote
 * address. The body belongs to oidc-provider and is not read here, so clients that authenticate in
 * the body (`client_secret_post`, `private_key_jwt`) share their address's window. When the
 * presented client does not authenticate (the provider answers 401), the request is moved from that
 * client's window to the address's, and a full address window refuses every request from that
 * address: guessing or spoofing a client_id neither uses up that client's allowance nor escapes
 * the limit, and windows of made-up client_ids do not pile up.
 *
 * The windows live in `options.windows` (this process by default; a shared store for N instances).
 * When that store cannot answer, the request is refused with 503 `temporarily_unavailable` (fail
 * closed, decision 0040), never let through uncounted.
 *
 * Does NOT bound concurrency: requests already in flight when the limit is reached still complete.
 *
 * A Koa middleware: install it with `provider.use`, so that it runs inside oidc-provider before any of
 * its own work, with nothing in front of it, and learns the answer's status after `next()` without a
 * per-request listener (decision 0023).
 */
export function rateLimitTokenEndpoint(options: RateLimitTokenEndpointOptions): Middleware {
  const { perMinute, now, log } = options
  const paths = new Set(options.paths)
  if (perMinute === 0) return (_ctx, next) => next()
  const windows = options.windows ?? new InMemoryRateLimitWindows()

  const refuse = (ctx: Context, key: string, window: RateLimitWindow, at: number): void => {
    const retryAfter = Math.max(1, Math.ceil((window.endsAt - at) / 1000))
    log.warn('rate limit reached', { path: ctx.path, key, limit: perMinute, retry_after: retryAfter })
    const { headers, body } = oauthErrorResponse(
      new TemporarilyUnavailableError(`too many requests to ${ctx.path}; retry after ${retryAfter} s`),
    )
    ctx.status = 429
    ctx.set({ ...headers, 'retry-after': String(retryAfter) })
    ctx.body = body
  }

  return async function rateLimitTokenEndpointMiddleware(ctx, next) {
    if (!paths.has(ctx.path) || ctx.method !== 'POST') return next()
    const at = now().getTime()
    // One set of windows per route (the path is part of every key).
    const addressKey = `${ctx.path} address:${ctx.req.socket.remoteAddress ?? 'unknown'}`
    const clientId = presentedBasicClientId(ctx.get('authorization'))
    const key = clientId === undefined ? addressKey : `${ctx.path} client:${clientId}`
    try {
      // An address that keeps failing client authentication is stopped even when it names a new
      // client_id each time (the address window counts only those failures and unnamed requests).
      if (key !== addressKey) {
        const address = await windows.peek(addressKey, at)
        if (address !== undefined && address.count >= perMinute) return refuse(ctx, addressKey, address, at)
      }
      const window = await windows.hit(key, at, WINDOW_MS)
      if (window.count > perMinute) {
        await windows.unhit(key, at) // a refused request does not count
        return refuse(ctx, key, window, at)
      }
    } catch (error) {
      // The windows cannot be read: refuse (503), never let the request through uncounted.
      const { status, headers, body } = oauthErrorResponse(error, { log })
      ctx.status = status
      ctx.set(headers)
      ctx.body = body
      return
    }
    await next()
    if (clientId === undefined || ctx.status !== 401) return
    // The presented client did not authenticate: charge the address, not that client. Not awaited:
    // the answer does not wait for the bookkeeping.
    const later = now().getTime()
    windows
      .unhit(key, later)
      .then(() => windows.hit(addressKey, later, WINDOW_MS))
      .catch((error: unknown) =>
        log.warn('could not move a failed client authentication to its address window', {
          error: error instanceof Error ? error.message : String(error),
        }),
      )
  }
}

/** The client_id of `Authorization: Basic` (RFC 6749 §2.3.1: form-urlencoded, then base64), if any. */
function presentedBasicClientId(authorization: string): string | undefined {
  const match = /^basic +([A-Za-z0-9+/=]+) *$/i.exec(authorization)
  if (match?.[1] === undefined) return undefined
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return undefined
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '))
  } catch {
    return undefined // not form-urlencoded: the provider refuses it; the address pays
  }
}
