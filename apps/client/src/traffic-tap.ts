import { AsyncLocalStorage } from 'node:async_hooks'
import { type Exchange, recordTraffic } from '@ema/id-jag-client'
import { inspectJwt } from '@ema/tokens'

/** A decoded (unverified) JWT: header and claims only, never the compact string (CL-34). */
export interface DecodedJwt {
  header: unknown
  claims: unknown
}

/** One exchange as the sequence diagram needs it: redacted by `recordTraffic`, timed, with the JWTs it carried decoded. */
export interface TappedExchange {
  exchange: Exchange
  /** Epoch ms when the request was sent. */
  startedAt: number
  durationMs: number
  /** The JWTs the request carried (`assertion`, `subject_token`, a Bearer token), decoded, by where they travelled. */
  requestJwts: Record<string, DecodedJwt>
}

export type TapSink = (tapped: TappedExchange) => void

/** Request members whose value may be a JWT worth showing decoded. */
const CARRIED_JWT_PARAMS = ['assertion', 'subject_token'] as const

/**
 * The app's one `fetch`: every request made while a sink is active (`run(sink, fn)`, per browser
 * request, through AsyncLocalStorage) is recorded by `recordTraffic` (which redacts every credential),
 * timed, and handed to that sink with the JWTs it carried decoded. Requests made outside `run` pass
 * through unrecorded. This reaches the traffic of openid-client (its configuration is shared by every
 * session) and of the MCP SDK's transport (created once per connection) without per-session wiring.
 *
 * Does NOT change a request or a response.
 */
export class TrafficTap {
  readonly #base: typeof fetch
  readonly #now: () => number
  readonly #sinks = new AsyncLocalStorage<TapSink>()

  constructor(base: typeof fetch, now: () => number = Date.now) {
    this.#base = base
    this.#now = now
  }

  /** Runs `fn` with `sink` receiving the traffic of everything it awaits. */
  run<T>(sink: TapSink, fn: () => Promise<T>): Promise<T> {
    return this.#sinks.run(sink, fn)
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const sink = this.#sinks.getStore()
    if (sink === undefined) return this.#base(input, init)
    const requestJwts = decodeCarriedJwts(input, init)
    let recorded: Exchange | undefined
    const startedAt = this.#now()
    const report = () => {
      if (recorded !== undefined)
        sink({ exchange: recorded, startedAt, durationMs: Math.max(0, this.#now() - startedAt), requestJwts })
    }
    try {
      const response = await recordTraffic(this.#base, (exchange) => {
        recorded = exchange
      })(input, init)
      report()
      return response
    } catch (error) {
      report()
      throw error
    }
  }
}

/** Decodes the JWTs a request carries, before anything is redacted; only header and claims are kept. */
export function decodeCarriedJwts(
  input: Parameters<typeof fetch>[0],
  init: RequestInit | undefined,
): Record<string, DecodedJwt> {
  const out: Record<string, DecodedJwt> = {}
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
  const authorization = headers.get('authorization')
  if (authorization !== null && /^bearer /i.test(authorization)) {
    const decoded = inspectJwt(authorization.slice(7).trim())
    if (decoded !== undefined) out.bearer = { header: decoded.header, claims: decoded.claims }
  }
  const body = init?.body
  const params =
    body instanceof URLSearchParams
      ? body
      : typeof body === 'string' && /form-urlencoded/i.test(headers.get('content-type') ?? '')
        ? new URLSearchParams(body)
        : undefined
  for (const name of CARRIED_JWT_PARAMS) {
    const value = params?.get(name)
    const decoded = value === null || value === undefined ? undefined : inspectJwt(value)
    if (decoded !== undefined) out[name] = { header: decoded.header, claims: decoded.claims }
  }
  return out
}
