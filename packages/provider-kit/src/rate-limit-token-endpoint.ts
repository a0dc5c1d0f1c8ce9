import { TemporarilyUnavailableError } from '@ema/tokens'
import { oauthErrorResponse, type Logger } from '@ema/server-kit'
import type { Request, RequestHandler } from 'express'

export interface RateLimitTokenEndpointOptions {
  /** Requests one client (or one address) may make per minute; `0` switches the limit off. */
  perMinute: number
  /** The clock that starts and ends windows (injected, so tests can move it). */
  now: () => Date
  log: Logger
}

/** One fixed one-minute window of one key. */
interface Window {
  startsAt: number
  count: number
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
 * the limit, and windows of made-up client_ids do not pile up in memory.
 *
 * Memory is bounded by the keys seen in one window: expired windows are swept at most once a window,
 * and a live window is never dropped (dropping one would reset a client's count under load).
 *
 * Does NOT limit across processes (each process counts alone), nor bound concurrency: requests
 * already in flight when the limit is reached still complete.
 *
 * Mount it with `app.post(tokenPath, rateLimitTokenEndpoint(…))` before the provider.
 */
export function rateLimitTokenEndpoint(options: RateLimitTokenEndpointOptions): RequestHandler {
  const { perMinute, now, log } = options
  if (perMinute === 0) return (_req, _res, next) => next()
  const windows = new Map<string, Window>()
  let lastSweep = now().getTime()

  /** The key's live window at `at`, started afresh when the previous one has ended. */
  const windowOf = (key: string, at: number): Window => {
    const current = windows.get(key)
    if (current !== undefined && at - current.startsAt < WINDOW_MS) return current
    const fresh = { startsAt: at, count: 0 }
    windows.set(key, fresh)
    return fresh
  }

  const sweep = (at: number): void => {
    if (at - lastSweep < WINDOW_MS) return
    lastSweep = at
    for (const [key, window] of windows) if (at - window.startsAt >= WINDOW_MS) windows.delete(key)
  }

  return (req, res, next) => {
    const at = now().getTime()
    sweep(at)
    const addressKey = `address:${req.socket.remoteAddress ?? 'unknown'}`
    const clientId = presentedBasicClientId(req)
    const key = clientId === undefined ? addressKey : `client:${clientId}`
    const window = windowOf(key, at)
    // An address that keeps failing client authentication is stopped even when it names a new
    // client_id each time (the address window counts only those failures and unnamed requests).
    const full = [window, windows.get(addressKey)].find((w) => w !== undefined && at - w.startsAt < WINDOW_MS && w.count >= perMinute)
    if (full !== undefined) {
      if (window.count === 0 && windows.get(key) === window) windows.delete(key)
      const retryAfter = Math.max(1, Math.ceil((full.startsAt + WINDOW_MS - at) / 1000))
      log.warn('token endpoint rate limit reached', { key, limit: perMinute, retry_after: retryAfter })
      const { headers, body } = oauthErrorResponse(new TemporarilyUnavailableError(`too many token requests; retry after ${retryAfter} s`))
      res.status(429).set({ ...headers, 'retry-after': String(retryAfter) }).json(body)
      return
    }
    window.count += 1
    if (clientId !== undefined) {
      res.on('finish', () => {
        if (res.statusCode !== 401) return
        // The presented client did not authenticate: charge the address, not that client.
        window.count -= 1
        if (window.count <= 0 && windows.get(key) === window) windows.delete(key)
        windowOf(addressKey, now().getTime()).count += 1
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
