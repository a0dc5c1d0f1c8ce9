import { GRANT_TYPE, WELL_KNOWN } from '@ema/tokens'
import type { Exchange } from '@ema/id-jag-client'
import { type AnnotatedToken, annotateToken } from './claim-annotations.ts'
import type { TappedExchange } from './traffic-tap.ts'

/** The lifelines of the sequence diagram, left to right. `api` is shown only when an arrow reaches it. */
export const LIFELINES = [
  { id: 'browser', name: 'Browser' },
  { id: 'client', name: 'Acme Agent' },
  { id: 'idp', name: 'Acme SSO' },
  { id: 'as', name: 'MCP authorization server' },
  { id: 'mcp', name: 'Tasks MCP server' },
  { id: 'api', name: 'Tasks API' },
] as const
export type LifelineId = (typeof LIFELINES)[number]['id']

/** How an arrow ended: answered, refused by the role it reached, or no answer at all. */
export type ArrowOutcome = 'ok' | 'challenge' | 'refused' | 'failed'

/** One arrow: a request and its answer, display-safe (redacted, tokens decoded only). */
export interface SequenceArrow {
  /** Unique within the session; assigned by the timeline. */
  id: number
  from: LifelineId
  to: LifelineId
  /** The step's name, e.g. "Token exchange: ID token → ID-JAG". */
  label: string
  /** HTTP status of the answer, if one came. */
  status: number | undefined
  durationMs: number
  /** Epoch ms; arrows are drawn in the order their requests started. */
  startedAt: number
  outcome: ArrowOutcome
  /** For a refusal: the OAuth error code and the role's own words. */
  refusal?: { role: string; error: string; description: string | undefined }
  request: {
    method: string
    url: string
    headers?: Record<string, string>
    params?: Record<string, string>
    json?: unknown
  }
  response?: { status: number; headers?: Record<string, string>; body?: unknown }
  /** The decoded tokens this arrow carried, each claim next to the rule that checks it. */
  tokens: AnnotatedToken[]
  /** Extra words for the detail view (e.g. who reported a second-hop arrow). */
  notes: string[]
}

/** An arrow before the timeline numbers it. */
export type NewArrow = Omit<SequenceArrow, 'id'>

/** Where each role lives, to tell from a URL which lifeline a request reached. */
export interface RoleOrigins {
  idpIssuer: string
  authorizationServer: string | undefined
  mcpServerUrl: string
}

/** The lifeline a URL belongs to, by origin (and the MCP endpoint by path). */
export function lifelineOf(url: string, origins: RoleOrigins): LifelineId | undefined {
  if (!URL.canParse(url)) return undefined
  const target = new URL(url)
  const same = (other: string | undefined) =>
    other !== undefined && URL.canParse(other) && new URL(other).origin === target.origin
  if (same(origins.mcpServerUrl)) return 'mcp'
  if (same(origins.authorizationServer)) return 'as'
  if (same(origins.idpIssuer)) return 'idp'
  return undefined
}

/** The step's name, from what the request is (the spec's words). */
function nameExchange(exchange: Exchange, to: LifelineId | undefined): string {
  const { request } = exchange
  const url = new URL(request.url)
  const grant = request.params?.grant_type
  if (grant === GRANT_TYPE.TOKEN_EXCHANGE) return 'Token exchange: ID token → ID-JAG (RFC 8693)'
  if (grant === GRANT_TYPE.JWT_BEARER) return 'jwt-bearer: ID-JAG → access token (RFC 7523)'
  if (grant === 'authorization_code' && to === 'as') return 'Code → access token (classic MCP, PKCE)'
  if (grant === 'authorization_code') return 'Code → ID token (token endpoint)'
  if (request.method === 'GET' && url.pathname.startsWith(WELL_KNOWN.OAUTH_PROTECTED_RESOURCE))
    return 'Protected resource metadata (RFC 9728)'
  if (request.method === 'GET' && url.pathname.includes(WELL_KNOWN.OPENID_CONFIGURATION) && to === 'idp')
    return 'OIDC discovery'
  if (
    request.method === 'GET' &&
    (url.pathname.includes(WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER) ||
      url.pathname.includes(WELL_KNOWN.OPENID_CONFIGURATION))
  )
    return 'Authorization server metadata (RFC 8414)'
  if (to === 'idp' && request.method === 'GET' && request.headers.authorization !== undefined) return 'UserInfo'
  if (to === 'mcp' && request.method === 'POST') {
    const message = request.json as { method?: unknown; params?: { name?: unknown } } | undefined
    const method = typeof message?.method === 'string' ? message.method : undefined
    const carriesBearer = /^bearer /i.test(request.headers.authorization ?? '')
    if (!carriesBearer) return `MCP ${method ?? request.method} without a token`
    if (method === 'tools/call') return `MCP tools/call ${String(message?.params?.name)}`
    return `MCP ${method ?? request.method} (Bearer)`
  }
  return `${request.method} ${url.pathname}`
}

/**
 * Whether the diagram shows an exchange: the MCP transport's own traffic (its notifications, the
 * optional event stream, closing the session) is left out unless refused.
 */
function isShownExchange(exchange: Exchange, mcpServerUrl: string): boolean {
  if (!URL.canParse(exchange.request.url) || new URL(exchange.request.url).href !== new URL(mcpServerUrl).href)
    return true
  const status = exchange.response?.status
  if (status === 401 || status === 403 || exchange.response === undefined) return true
  const message = exchange.request.json as { id?: unknown; method?: unknown } | undefined
  return exchange.request.method === 'POST' && message?.id !== undefined && typeof message.method === 'string'
}

/** The refusal an answer carries: `error` from a JSON body, else from `WWW-Authenticate`. */
export function readRefusal(exchange: Exchange): { error: string; description: string | undefined } | undefined {
  const status = exchange.response?.status
  if (status === undefined || status < 400) return undefined
  const body = exchange.response?.body as { error?: unknown; error_description?: unknown } | undefined
  if (typeof body?.error === 'string')
    return {
      error: body.error,
      description: typeof body.error_description === 'string' ? body.error_description : undefined,
    }
  const challenge = exchange.response?.headers['www-authenticate'] ?? ''
  const error = /\berror="([^"]*)"/.exec(challenge)?.[1]
  const description = /\berror_description="([^"]*)"/.exec(challenge)?.[1]
  return { error: error ?? `http_${status}`, description }
}

const ROLE_NAMES: Record<LifelineId, string> = Object.fromEntries(
  LIFELINES.map((line) => [line.id, line.name]),
) as Record<LifelineId, string>

/** The display name of a lifeline. */
export function roleName(id: LifelineId): string {
  return ROLE_NAMES[id]
}

/**
 * The arrow for one exchange Acme Agent made, or undefined when the diagram leaves it out.
 * An unauthenticated MCP request answered 401 is the expected challenge (RS-05), not a refusal.
 */
export function arrowFromExchange(tapped: TappedExchange, origins: RoleOrigins): NewArrow | undefined {
  const { exchange } = tapped
  const to = lifelineOf(exchange.request.url, origins)
  if (!isShownExchange(exchange, origins.mcpServerUrl)) return undefined
  const label = nameExchange(exchange, to)
  const status = exchange.response?.status
  const refusal = readRefusal(exchange)
  const challenge = to === 'mcp' && status === 401 && !/^bearer /i.test(exchange.request.headers.authorization ?? '')
  const outcome: ArrowOutcome =
    exchange.response === undefined ? 'failed' : challenge ? 'challenge' : refusal !== undefined ? 'refused' : 'ok'
  const tokens: AnnotatedToken[] = [
    ...Object.entries(tapped.requestJwts).map(([carriedIn, jwt]) => annotateToken(jwt.header, jwt.claims, carriedIn)),
    ...Object.entries(exchange.response?.jwts ?? {}).map(([carriedIn, jwt]) =>
      annotateToken(
        jwt.header,
        jwt.claims,
        carriedIn === 'access_token' && exchange.request.params?.grant_type === GRANT_TYPE.TOKEN_EXCHANGE
          ? 'id-jag'
          : carriedIn,
      ),
    ),
  ]
  for (const [index, token] of tokens.entries()) {
    const carried = index < Object.keys(tapped.requestJwts).length ? 'sent' : 'received'
    token.label = `${token.label} (${carried}, decoded, not verified)`
  }
  return {
    from: 'client',
    to: to ?? 'client',
    label,
    status,
    durationMs: Math.round(tapped.durationMs),
    startedAt: tapped.startedAt,
    outcome,
    ...(refusal !== undefined && outcome === 'refused'
      ? { refusal: { role: roleName(to ?? 'client'), ...refusal } }
      : {}),
    request: {
      method: exchange.request.method,
      url: exchange.request.url,
      ...(Object.keys(exchange.request.headers).length === 0 ? {} : { headers: exchange.request.headers }),
      ...(exchange.request.params === undefined ? {} : { params: exchange.request.params }),
      ...(exchange.request.json === undefined ? {} : { json: exchange.request.json }),
    },
    ...(exchange.response === undefined
      ? {}
      : {
          response: {
            status: exchange.response.status,
            headers: exchange.response.headers,
            ...(exchange.response.body === undefined ? {} : { body: exchange.response.body }),
          },
        }),
    tokens,
    notes: [
      ...(challenge
        ? ['The expected challenge: WWW-Authenticate names the protected resource metadata (RS-05, CL-02).']
        : []),
      ...(exchange.failure === undefined ? [] : [`No answer: ${exchange.failure}`]),
    ],
  }
}
