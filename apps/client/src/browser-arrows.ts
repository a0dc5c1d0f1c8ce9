import { annotateToken, DOWNSTREAM_TOKEN } from './claim-annotations.ts'
import { readDownstreamTrace } from '@ema/id-jag-client'
import { redact } from '@ema/tokens'
import type { NewArrow, RoleOrigins } from './sequence-arrow.ts'

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
    from: 'browser',
    to: 'client',
    label: 'Sign in with Acme SSO → redirect to the IdP',
    status: authorizationUrl === undefined ? 500 : 303,
    ...timing,
    durationMs: Math.round(timing.durationMs),
    outcome: authorizationUrl === undefined ? 'failed' : 'ok',
    request: { method: 'POST', url: `${clientUrl}/login` },
    ...(authorizationUrl === undefined
      ? {}
      : { response: { status: 303, headers: { location: redactUrl(authorizationUrl).url + '?…' } } }),
    tokens: [],
    notes: ['Acme Agent remembers state, nonce and the PKCE verifier in the server-side session (CL-14, CL-15).'],
  }
}

/** Browser → Acme SSO: the authorization request and the login, inferred from its two ends. */
export function authorizationArrow(
  timing: Timing,
  authorizationUrl: string,
  outcome: { error: string | undefined; description: string | undefined },
): NewArrow {
  const { url, params } = redactUrl(authorizationUrl)
  const refused = outcome.error !== undefined
  return {
    from: 'browser',
    to: 'idp',
    label: 'Authorization request (code, PKCE, state, nonce) + login',
    status: 303,
    ...timing,
    durationMs: Math.round(timing.durationMs),
    outcome: refused ? 'refused' : 'ok',
    ...(refused ? { refusal: { role: 'Acme SSO', error: outcome.error!, description: outcome.description } } : {}),
    request: { method: 'GET', url, params },
    response: {
      status: 303,
      headers: { location: refused ? 'redirect URI with error' : 'redirect URI with code and state' },
    },
    tokens: [],
    notes: [
      'Between the browser and Acme SSO: Acme Agent sees only where it starts and how it ends. The password goes to Acme SSO only.',
      'The duration includes the time the user took to type.',
    ],
  }
}

/** Browser → Acme Agent: the redirect back with the code, answered once the code is redeemed. */
export function callbackArrow(
  timing: Timing,
  callbackUrl: string,
  failure: { error: string; message: string } | undefined,
): NewArrow {
  const { url, params } = redactUrl(callbackUrl)
  return {
    from: 'browser',
    to: 'client',
    label: 'Redirect back with the code (GET /callback)',
    status: 303,
    ...timing,
    durationMs: Math.round(timing.durationMs),
    outcome: failure === undefined ? 'ok' : 'refused',
    ...(failure === undefined
      ? {}
      : { refusal: { role: 'Acme Agent', error: failure.error, description: failure.message } }),
    request: { method: 'GET', url, params },
    response: { status: 303, headers: { location: '/' } },
    tokens: [],
    notes: [
      "Acme Agent checks state first, then redeems the code with the PKCE verifier and checks the ID token's nonce (CL-14, CL-15).",
    ],
  }
}

/**
 * Arrows for the second hop, from a tool result's `_meta["io.ema/downstream"]`: the MCP server's RFC 8693
 * on-behalf-of exchange at the authorization server (or a note that a cached token was reused, OBO-17),
 * carrying the downstream token's claims with their rules (OBO-12, OBO-13), then its call to the Tasks
 * API. Placed just after the tool call. No arrows when the result carries no trace this page can read.
 */
export function downstreamArrows(meta: unknown, after: Timing, _origins: RoleOrigins): NewArrow[] {
  const trace = readDownstreamTrace(meta as Record<string, unknown> | undefined)
  if (trace === undefined) return []
  const { exchange, downstream_token_claims: claims, api } = trace
  const note =
    'Reported by the Tasks MCP server in the tool result (_meta "io.ema/downstream"): Acme Agent did not see this request.'
  const refusal = (
    role: string,
    status: number | undefined,
    error: { error: string; error_description?: string | undefined } | undefined,
  ) =>
    status !== undefined && status >= 400
      ? { refusal: { role, error: error?.error ?? `http_${status}`, description: error?.error_description } }
      : {}
  const arrows: NewArrow[] = []
  const exchangeStatus = exchange.cached === true ? undefined : exchange.status
  arrows.push({
    from: 'mcp',
    to: 'as',
    label:
      exchange.cached === true ? 'On-behalf-of token (cached, no request)' : 'On-behalf-of token exchange (RFC 8693)',
    status: exchangeStatus,
    startedAt: after.startedAt + 1,
    durationMs: 0,
    outcome: exchangeStatus !== undefined && exchangeStatus >= 400 ? 'refused' : 'ok',
    ...refusal('MCP authorization server', exchangeStatus, exchange.error),
    request: {
      method: exchange.request?.method ?? 'POST',
      url: exchange.request?.url ?? '(not reported)',
      ...(exchange.request?.params === undefined ? {} : { params: exchange.request.params }),
    },
    ...(exchangeStatus === undefined ? {} : { response: { status: exchangeStatus } }),
    tokens: claims === undefined ? [] : [annotateToken({ typ: 'at+jwt' }, claims, DOWNSTREAM_TOKEN)],
    notes: [
      note,
      ...(exchange.request?.client_authentication === undefined
        ? []
        : [`client authentication: ${exchange.request.client_authentication}`]),
    ],
  })
  if (api !== undefined) {
    arrows.push({
      from: 'mcp',
      to: 'api',
      label: `Tasks API ${api.method} ${new URL(api.url).pathname}`,
      status: api.status,
      startedAt: after.startedAt + 2,
      durationMs: 0,
      outcome: api.status !== undefined && api.status >= 400 ? 'refused' : 'ok',
      ...refusal('Tasks API', api.status, api.error),
      request: { method: api.method, url: api.url },
      ...(api.status === undefined ? {} : { response: { status: api.status } }),
      tokens: [],
      notes: [note],
    })
  }
  return arrows
}

/**
 * Browser → MCP authorization server: the classic MCP authorization request (no enterprise-managed
 * authorization), its sign-in federated to Acme SSO and its consent screen, inferred from its two ends.
 */
export function consentArrow(
  timing: Timing,
  authorizationUrl: string,
  outcome: { error: string | undefined; description: string | undefined },
): NewArrow {
  const { url, params } = redactUrl(authorizationUrl)
  const refused = outcome.error !== undefined
  return {
    from: 'browser',
    to: 'as',
    label: 'Authorization request (code, PKCE, state, resource) + sign-in + consent screen',
    status: 303,
    ...timing,
    durationMs: Math.round(timing.durationMs),
    outcome: refused ? 'refused' : 'ok',
    ...(refused
      ? { refusal: { role: 'MCP authorization server', error: outcome.error!, description: outcome.description } }
      : {}),
    request: { method: 'GET', url, params },
    response: {
      status: 303,
      headers: { location: refused ? 'redirect URI with error' : 'redirect URI with code, state and iss' },
    },
    tokens: [],
    notes: [
      "The classic MCP way: the MCP authorization server signs the user in (through Acme SSO) and asks for consent on its own screen. Acme SSO's policy is not asked.",
      'The duration includes the time the user took to sign in and approve.',
    ],
  }
}

/** Browser → Acme Agent: the redirect back from the MCP authorization server, answered once the code is redeemed. */
export function classicCallbackArrow(
  timing: Timing,
  callbackUrl: string,
  failure: { error: string; message: string } | undefined,
): NewArrow {
  return {
    ...callbackArrow(timing, callbackUrl, failure),
    label: 'Redirect back with the code (GET /classic/callback)',
    notes: [
      'Acme Agent checks state and iss (RFC 9207), then redeems the code at the MCP authorization server with the PKCE verifier and its client secret.',
    ],
  }
}
