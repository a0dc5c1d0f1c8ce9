import { inspectJwt, redact } from '@ema/tokens'

/**
 * One step of the chain as the page shows it. Everything in here is display-safe: parameters and
 * bodies pass through {@link safeParams} / {@link safeBody}, which replace tokens and secrets with
 * `redact(…)` (CL-34). Decoded JWTs (from `inspectJwt`) are shown, never the compact strings.
 */
export interface Step {
  title: string
  status: 'ok' | 'error'
  request?: {
    method: string
    url: string
    headers?: Record<string, string>
    params?: Record<string, string>
  }
  response?: { status: number; body?: unknown }
  /** Decoded (unverified) header and claims of tokens obtained in this step, for display. */
  tokens?: Array<{ label: string; header: unknown; claims: unknown }>
  notes?: string[]
}

/** Receives each step as it completes. */
export type StepRecorder = (step: Step) => void

/** Names whose values are credentials: shown as `redact(value)`, never in full (CL-34). */
const SECRET_NAME = /(token|secret|assertion|password|^code$|code_verifier|authorization)/i

/** Request parameters with every credential redacted. */
export function safeParams(params: URLSearchParams | Record<string, string>): Record<string, string> {
  const entries = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params)
  const out: Record<string, string> = {}
  for (const [name, value] of entries) {
    // token *types* are URNs, not credentials
    out[name] = SECRET_NAME.test(name) && !name.endsWith('_type') ? redact(value) : value
  }
  return out
}

/** Request headers with the Authorization value redacted (its scheme stays visible). */
export function safeHeaders(headers: Headers): Record<string, string> {
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

/** A JSON response body with every credential-looking member redacted. */
export function safeBody(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(safeBody)
  if (body === null || typeof body !== 'object') return body
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(body)) {
    out[name] = typeof value === 'string' && SECRET_NAME.test(name) && !name.endsWith('_type') ? redact(value) : safeBody(value)
  }
  return out
}

/** The decoded header and claims of a JWT for display, or nothing if it is not a JWT. */
export function decodedToken(label: string, token: string): Step['tokens'] {
  const inspected = inspectJwt(token)
  return inspected === undefined ? [] : [{ label, header: inspected.header, claims: inspected.claims }]
}
