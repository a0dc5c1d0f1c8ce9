import { redact } from '@ema/tokens'
import type { LifelineId, NewArrow, RoleOrigins } from './sequence-arrow.ts'
import { lifelineOf } from './sequence-arrow.ts'

/**
 * The arrows of the sign-in leg that Acme Agent sees from the browser's side, and the downstream arrows
 * the MCP server reports: traffic that does not go through Acme Agent's own `fetch`.
 */

/** Query parameters that are one-time credentials or correlation values: shown redacted. */
const REDACTED_QUERY = new Set(['code', 'state', 'nonce', 'session_state'])

/** A URL with its credential-like query values redacted (CL-34). */
export function redactUrl(url: string): { url: string; params: Record<string, string> } {
  const parsed = new URL(url)
  const params: Record<string, string> = {}
  for (const [name, value] of parsed.searchParams) params[name] = REDACTED_QUERY.has(name) ? redact(value) : value
  return { url: `${parsed.origin}${parsed.pathname}`, params }
}

interface Timing {
  startedAt: number
  durationMs: number
}

/** Browser → Acme Agent: "Sign in with Acme SSO", answered with a redirect to the authorization endpoint. */
export function signInRequestArrow(timing: Timing, authorizationUrl: string | undefined, clientUrl: string): NewArrow {
  return {
    from: 'browser', to: 'client',
    label: 'Sign in with Acme SSO → redirect to the IdP',
    status: authorizationUrl === undefined ? 500 : 303,
    ...timing,
    durationMs: Math.round(timing.durationMs),
    outcome: authorizationUrl === undefined ? 'failed' : 'ok',
    request: { method: 'POST', url: `${clientUrl}/login` },
    ...(authorizationUrl === undefined ? {} : { response: { status: 303, headers: { location: redactUrl(authorizationUrl).url + '?…' } } }),
    tokens: [],
    notes: ['Acme Agent remembers state, nonce and the PKCE verifier in the server-side session (CL-14, CL-15).'],
  }
}

/** Browser → Acme SSO: the authorization request and the login, inferred from its two ends. */
export function authorizationArrow(timing: Timing, authorizationUrl: string, outcome: { error: string | undefined; description: string | undefined }): NewArrow {
  const { url, params } = redactUrl(authorizationUrl)
  const refused = outcome.error !== undefined
  return {
    from: 'browser', to: 'idp',
    label: 'Authorization request (code, PKCE, state, nonce) + login',
    status: 303,
    ...timing,
    durationMs: Math.round(timing.durationMs),
    outcome: refused ? 'refused' : 'ok',
    ...(refused ? { refusal: { role: 'Acme SSO', error: outcome.error!, description: outcome.description } } : {}),
    request: { method: 'GET', url, params },
    response: { status: 303, headers: { location: refused ? 'redirect URI with error' : 'redirect URI with code and state' } },
    tokens: [],
    notes: [
      'Between the browser and Acme SSO: Acme Agent sees only where it starts and how it ends. The password goes to Acme SSO only.',
      'The duration includes the time the user took to type.',
    ],
  }
}

/** Browser → Acme Agent: the redirect back with the code, answered once the code is redeemed. */
export function callbackArrow(timing: Timing, callbackUrl: string, failure: { error: string; message: string } | undefined): NewArrow {
  const { url, params } = redactUrl(callbackUrl)
  return {
    from: 'browser', to: 'client',
    label: 'Redirect back with the code (GET /callback)',
    status: 303,
    ...timing,
    durationMs: Math.round(timing.durationMs),
    outcome: failure === undefined ? 'ok' : 'refused',
    ...(failure === undefined ? {} : { refusal: { role: 'Acme Agent', error: failure.error, description: failure.message } }),
    request: { method: 'GET', url, params },
    response: { status: 303, headers: { location: '/' } },
    tokens: [],
    notes: ['Acme Agent checks state first, then redeems the code with the PKCE verifier and checks the ID token\'s nonce (CL-14, CL-15).'],
  }
}

/** The `_meta` key under which the Tasks MCP server reports the second hop of a tool call. */
export const DOWNSTREAM_META_KEY = 'io.ema/downstream'

/**
 * Arrows for the second hop, from a tool result's `_meta["io.ema/downstream"]`: the MCP server's own
 * calls (the on-behalf-of exchange at the authorization server, the call to the Tasks API). Read
 * leniently: an array of entries (or `{ exchanges | steps | hops: [...] }`), each with a name
 * (`label`, `title`, `name` or `step`), `method`, `url`, `status`, and a duration (`durationMs`,
 * `duration_ms`); `to` may name the lifeline. Anything else is ignored. Placed just after the call.
 */
export function downstreamArrows(meta: unknown, after: Timing, origins: RoleOrigins): NewArrow[] {
  const trace = (meta as Record<string, unknown> | undefined)?.[DOWNSTREAM_META_KEY]
  const entries = Array.isArray(trace) ? trace : firstArray(trace)
  const arrows: NewArrow[] = []
  for (const [index, raw] of entries.entries()) {
    if (raw === null || typeof raw !== 'object') continue
    const entry = raw as Record<string, unknown>
    const url = typeof entry.url === 'string' ? entry.url : undefined
    const to = readLifeline(entry.to) ?? (url === undefined ? 'api' : lifelineOf(url, origins) === 'as' || /\/token$/.test(new URL(url, 'http://x').pathname) ? 'as' : 'api')
    const status = typeof entry.status === 'number' ? entry.status : undefined
    const error = typeof entry.error === 'string' ? entry.error : undefined
    const label = [entry.label, entry.title, entry.name, entry.step].find((value) => typeof value === 'string') as string | undefined
    const duration = [entry.durationMs, entry.duration_ms].find((value) => typeof value === 'number') as number | undefined
    arrows.push({
      from: 'mcp', to,
      label: label ?? (to === 'as' ? 'On-behalf-of token exchange (RFC 8693)' : 'Tasks API call'),
      status,
      startedAt: after.startedAt + index + 1,
      durationMs: Math.round(duration ?? 0),
      outcome: status === undefined ? 'ok' : status >= 400 ? 'refused' : 'ok',
      ...(status !== undefined && status >= 400 ? { refusal: { role: to === 'as' ? 'MCP authorization server' : 'Tasks API', error: error ?? `http_${status}`, description: typeof entry.error_description === 'string' ? entry.error_description : undefined } } : {}),
      request: { method: typeof entry.method === 'string' ? entry.method : 'POST', url: url ?? '(not reported)' },
      ...(status === undefined ? {} : { response: { status } }),
      tokens: [],
      notes: ['Reported by the Tasks MCP server in the tool result (_meta "io.ema/downstream"): Acme Agent did not see this request.'],
    })
  }
  return arrows
}

function firstArray(value: unknown): unknown[] {
  if (value === null || typeof value !== 'object') return []
  for (const key of ['exchanges', 'steps', 'hops']) {
    const candidate = (value as Record<string, unknown>)[key]
    if (Array.isArray(candidate)) return candidate
  }
  return []
}

function readLifeline(value: unknown): LifelineId | undefined {
  if (value === 'as' || value === 'authorization_server' || value === 'authorization-server') return 'as'
  if (value === 'api' || value === 'tasks-api' || value === 'tasks_api' || value === 'downstream') return 'api'
  return undefined
}
