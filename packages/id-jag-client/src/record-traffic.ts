import { inspectJwt, redact } from '@ema/tokens'

/**
 * One HTTP request and its response as seen through the injected `fetch`, display-safe: every
 * credential in a header, form parameter or JSON member is replaced by `redact(…)` (CL-34), and a JWT
 * in the response is kept only decoded (CL-32: decoded for display, never verified here).
 */
export interface Exchange {
  request: {
    method: string
    url: string
    headers: Record<string, string>
    /** A form-encoded body (token requests). */
    params?: Record<string, string>
    /** A JSON body (MCP JSON-RPC messages). */
    json?: unknown
  }
  /** Undefined when no response came back (see {@link failure}). */
  response?: {
    status: number
    /** `www-authenticate`, `content-type` and `location`, when present. */
    headers: Record<string, string>
    /** A JSON body; other bodies (an event stream, HTML) are not read. */
    body?: unknown
    /** The decoded (unverified) header and claims of each JWT in the JSON body, by member name. */
    jwts?: Record<string, { header: unknown; claims: unknown }>
  }
  /** Why the request failed before a response, e.g. a refused connection. */
  failure?: string
}

/** Receives every exchange, in the order the responses arrive. */
export type TrafficRecorder = (exchange: Exchange) => void

/** Names whose values are credentials: shown as `redact(value)`, never in full (CL-34). */
const SECRET_NAME = /(token|secret|assertion|password|^code$|code_verifier|authorization)/i
const SHOWN_RESPONSE_HEADERS = ['www-authenticate', 'content-type', 'location']

/**
 * Wraps `fetch` so that every request and response is handed to `record`, redacted. This is the one
 * place the chain's traffic is observed and its credentials are redacted; the protocol functions
 * only call `fetch`.
 *
 * Reads a JSON response body from a clone, before the caller sees the response; never reads any other
 * body, so an MCP event stream is passed through untouched.
 *
 * Does NOT change a request or a response, nor catch a failure: a failed request is recorded, then its
 * error is thrown as it was.
 */
export function recordTraffic(fetchImpl: typeof fetch, record: TrafficRecorder): typeof fetch {
  return async (input, init) => {
    const request = describeRequest(input, init)
    let response: Response
    try {
      response = await fetchImpl(input, init)
    } catch (error) {
      record({ request, failure: error instanceof Error ? error.message : String(error) })
      throw error
    }
    const headers: Record<string, string> = {}
    for (const name of SHOWN_RESPONSE_HEADERS) {
      const value = response.headers.get(name)
      if (value !== null) headers[name] = value
    }
    const json = /\bjson\b/i.test(headers['content-type'] ?? '')
      ? await response
          .clone()
          .json()
          .catch(() => undefined)
      : undefined
    record({
      request,
      response: {
        status: response.status,
        headers,
        ...(json === undefined ? {} : { body: safeBody(json), ...decodedJwts(json) }),
      },
    })
    return response
  }
}

function describeRequest(input: Parameters<typeof fetch>[0], init: RequestInit | undefined): Exchange['request'] {
  const fromRequest = input instanceof Request ? input : undefined
  const url = fromRequest?.url ?? (input instanceof URL ? input.href : String(input))
  const method = (init?.method ?? fromRequest?.method ?? 'GET').toUpperCase()
  const headers = new Headers(init?.headers ?? fromRequest?.headers)
  const described: Exchange['request'] = { method, url, headers: safeHeaders(headers) }
  const body = init?.body
  if (body instanceof URLSearchParams) {
    described.params = safeParams(body)
  } else if (typeof body === 'string') {
    if (/form-urlencoded/i.test(headers.get('content-type') ?? ''))
      described.params = safeParams(new URLSearchParams(body))
    else {
      try {
        described.json = safeBody(JSON.parse(body))
      } catch {
        // not JSON: not shown
      }
    }
  }
  return described
}

function safeParams(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of params) out[name] = isSecretName(name) ? redact(value) : value
  return out
}

/** The Authorization value is redacted; its scheme stays visible. */
function safeHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  headers.forEach((value, name) => {
    if (name === 'authorization') {
      const [scheme, credentials] = value.split(' ', 2)
      out[name] = `${scheme} ${redact(credentials)}`
    } else {
      out[name] = value
    }
  })
  return out
}

function safeBody(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(safeBody)
  if (body === null || typeof body !== 'object') return body
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(body))
    out[name] = typeof value === 'string' && isSecretName(name) ? redact(value) : safeBody(value)
  return out
}

/** Token *types* are URNs, not credentials. */
function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !name.endsWith('_type')
}

function decodedJwts(body: unknown): { jwts?: Record<string, { header: unknown; claims: unknown }> } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {}
  const jwts: Record<string, { header: unknown; claims: unknown }> = {}
  for (const [name, value] of Object.entries(body)) {
    const inspected = typeof value === 'string' ? inspectJwt(value) : undefined
    if (inspected !== undefined) jwts[name] = { header: inspected.header, claims: inspected.claims }
  }
  return Object.keys(jwts).length === 0 ? {} : { jwts }
}
