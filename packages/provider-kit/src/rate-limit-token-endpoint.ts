import { TemporarilyUnavailableError } from '@ema/tokens'
import { oauthErrorResponse, type Logger } from '@ema/server-kit'
import type { Request, RequestHandler, Response } from 'express'
import { InMemoryRateLimitWindows, type RateLimitWindow, type RateLimitWindows } from './rate-limit-windows.ts'

export interface RateLimitTokenEndpointOptions {
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
 * SEC-07, IDP-27: rate-limits a token endpoint per client. A fixed one-minute window per key; the
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
 * Mount it with `app.post(tokenPath, rateLimitTokenEndpoint(…))` before the provider.
 */
export function rateLimitTokenEndpoint(options: RateLimitTokenEndpointOptions): RequestHandler {
  const { perMinute, now, log } = options
  if (perMinute === 0) return (_req, _res, next) => next()
  const windows = options.windows ?? new InMemoryRateLimitWindows()

  const refuse = (res: Response, key: string, window: RateLimitWindow, at: number): void => {
    const retryAfter = Math.max(1, Math.ceil((window.endsAt - at) / 1000))
    log.warn('token endpoint rate limit reached', { key, limit: perMinute, retry_after: retryAfter })
    const { headers, body } = oauthErrorResponse(new TemporarilyUnavailableError(`too many token requests; retry after ${retryAfter} s`))
    res.status(429).set({ ...headers, 'retry-after': String(retryAfter) }).json(body)
  }

  return async (req, res, next) => {
    const at = now().getTime()
    const addressKey = `address:${req.socket.remoteAddress ?? 'unknown'}`
    const clientId = presentedBasicClientId(req)
    const key = clientId === undefined ? addressKey : `client:${clientId}`
    try {
      // An address that keeps failing client authentication is stopped even when it names a new
      // client_id each time (the address window counts only those failures and unnamed requests).
      if (key !== addressKey) {
        const address = await windows.peek(addressKey, at)
        if (address !== undefined && address.count >= perMinute) return refuse(res, addressKey, address, at)
      }
      const window = await windows.hit(key, at, WINDOW_MS)
      if (window.count > perMinute) {
        await windows.unhit(key, at) // a refused request does not count
        return refuse(res, key, window, at)
      }
    } catch (error) {
      // The windows cannot be read: refuse (503), never let the request through uncounted.
      const { status, headers, body } = oauthErrorResponse(error, { log })
      res.status(status).set(headers).json(body)
      return
    }
    if (clientId !== undefined) {
      res.on('finish', () => {
        if (res.statusCode !== 401) return
        // The presented client did not authenticate: charge the address, not that client.
        const at = now().getTime()
        windows.unhit(key, at)
          .then(() => windows.hit(addressKey, at, WINDOW_MS))
          .catch((error: unknown) => log.warn('could not move a failed client authentication to its address window', { error: error instanceof Error ? error.message : String(error) }))
      })
    }
    next()
  }
}

/** The client_id of `Authorization: Basic` (RFC 6749 §2.3.1: form-urlencoded, then base64), if any. */
function presentedBasicClientId(req: Request): string | undefined {
  const match = /^basic +([A-Za-z0-9+/=]+) *$/i.exec(req.get('authorization') ?? '')
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
