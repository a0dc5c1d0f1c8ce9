import {
  type Exchange,
  idJagProfileNote,
  metadataCandidates,
  parseBearerChallenge,
  type ReusedAccessToken,
  type TrafficObserver,
} from '@ema/id-jag-client'
import { GRANT_TYPE, TOKEN_RESPONSE_TYPE, TOKEN_TYPE, WELL_KNOWN } from '@ema/tokens'
import type { Step, StepRecorder } from './step.ts'

/** The display names a view needs, from configuration: the only place the chain's steps get them. */
export interface StepViewNames {
  /** The IdP in titles, e.g. "Token exchange at <idpName>". */
  idpName: string
  /** The MCP server in titles, e.g. "Connect to the <serverName> MCP server". */
  serverName: string
  /** The MCP server URL: requests to it are MCP traffic. */
  mcpServerUrl: string
}

type Pending = { kind: 'metadata'; step: Step; notes: string[] } | { kind: 'mcp-refusal'; step: Step; note: string }

/**
 * Turns the traffic `runChain` records (its `observers.traffic`) into the chain's steps, one per
 * protocol step: the unauthenticated MCP
 * probe, protected resource metadata, authorization server metadata, the token exchange at the IdP,
 * the jwt-bearer grant (the first one, or one the MCP SDK made later), the MCP connection with its tool
 * list, and each tool call.
 * - A 404 from a well-known URL followed by the next candidate is a note on the step that found the
 *   document (CL-02, CL-04).
 * - A 401/403 from the MCP server followed by a token request is a note on the re-acquired token
 *   (CL-44, CL-46); one that is not followed by one is a refused step.
 * - A step is `error` when the other side refused (an HTTP error status) or did not answer, or when
 *   a response fails a check the view can repeat from the traffic (CL-03, CL-05…CL-07, CL-30, CL-42).
 *
 * Does NOT see every check the chain makes (e.g. a malformed body): the chain's `FlowError` says
 * those. Does NOT redact: the traffic is redacted when recorded
 * (`recordTraffic`).
 */
export class StepView implements TrafficObserver {
  readonly #names: StepViewNames
  readonly #onStep: StepRecorder
  #pending: Pending | undefined
  /** Whether the MCP server has been sent a token: a jwt-bearer grant after that is a re-acquisition. */
  #connected = false
  #serverInfo: unknown
  /** The `resource_metadata` URL the MCP server's challenge named (CL-02). */
  #resourceMetadataUrl: string | undefined

  constructor(names: StepViewNames, onStep: StepRecorder) {
    this.#names = names
    this.#onStep = onStep
  }

  /** Adds one recorded exchange; emits the steps it completes. */
  exchange(exchange: Exchange): void {
    const pending = this.#pending
    this.#pending = undefined
    const kind =
      exchange.request.method === 'GET' && exchange.request.url === this.#resourceMetadataUrl
        ? PROTECTED_RESOURCE_METADATA
        : classify(exchange, this.#names.mcpServerUrl)
    if (pending?.kind === 'metadata') {
      if (kind === pending.step.title) {
        this.#addMetadata(exchange, kind, pending.notes)
        return
      }
      this.#emit({ ...pending.step, status: 'error', notes: pending.notes })
    }
    let after: string | undefined
    if (pending?.kind === 'mcp-refusal') {
      if (kind === TOKEN_EXCHANGE || kind === JWT_BEARER) after = pending.note
      else this.#emit(pending.step)
    }
    switch (kind) {
      case PROBE:
        return this.#emit(this.#probe(exchange))
      case PROTECTED_RESOURCE_METADATA:
      case AUTHORIZATION_SERVER_METADATA:
        return this.#addMetadata(exchange, kind, [])
      case TOKEN_EXCHANGE:
        return this.#emit(this.#tokenExchange(exchange, after))
      case JWT_BEARER:
        return this.#emit(this.#jwtBearer(exchange, after))
      case MCP:
        return this.#mcp(exchange)
      default:
        return this.#emit({ title: `${exchange.request.method} ${exchange.request.url}`, ...outcome(exchange) })
    }
  }

  /** The one step that is not traffic: a kept access token reused (CL-43, CL-44). */
  reusedAccessToken(token: ReusedAccessToken): void {
    this.flush()
    this.#emit({
      title: 'Access token kept from an earlier run (no exchange needed)',
      status: 'ok',
      notes: [
        `issued by ${token.authorizationServer} for ${token.resource}; expires in ${token.expiresIn} s; granted scope: ${token.grantedScope ?? '(none)'}`,
      ],
    })
  }

  /** Ends an operation: a step still waiting for the next exchange is emitted as it stands. */
  flush(): void {
    const pending = this.#pending
    this.#pending = undefined
    if (pending?.kind === 'metadata') this.#emit({ ...pending.step, status: 'error', notes: pending.notes })
    if (pending?.kind === 'mcp-refusal') this.#emit(pending.step)
  }

  #emit(step: Step): void {
    this.#onStep(step)
  }

  #probe(exchange: Exchange): Step {
    const status = exchange.response?.status
    const challenge = parseBearerChallenge(exchange.response?.headers['www-authenticate'] ?? null)
    this.#resourceMetadataUrl =
      challenge?.resource_metadata === undefined || !URL.canParse(challenge.resource_metadata)
        ? undefined
        : new URL(challenge.resource_metadata).href
    return {
      title: 'Call the MCP server without a token',
      status: status === 401 ? 'ok' : 'error',
      request: {
        method: exchange.request.method,
        url: exchange.request.url,
        params: { jsonrpc: '2.0', method: 'initialize' },
      },
      ...(status === undefined ? {} : { response: { status, body: challengeBody(exchange) } }),
      notes:
        status !== 401
          ? failureNotes(exchange)
          : [
              challenge?.resource_metadata !== undefined
                ? `resource_metadata from WWW-Authenticate: ${challenge.resource_metadata} (CL-02)`
                : 'no resource_metadata in WWW-Authenticate: probing the well-known URLs (CL-02)',
            ],
    }
  }

  #addMetadata(exchange: Exchange, kind: string, notes: string[]): void {
    const step: Step = { title: kind, ...outcome(exchange) }
    if (exchange.response?.status === 404) {
      this.#pending = {
        kind: 'metadata',
        step,
        notes: [
          ...notes,
          `${exchange.request.url} answered 404; trying the next well-known URL (${kind === AUTHORIZATION_SERVER_METADATA ? 'CL-04' : 'CL-02'})`,
        ],
      }
      return
    }
    const body = exchange.response?.body as Record<string, unknown> | undefined
    const refused = (note: string) => {
      step.status = 'error'
      notes.push(note)
    }
    if (step.status === 'ok' && body !== undefined) {
      if (kind === PROTECTED_RESOURCE_METADATA) {
        if (body.resource === this.#names.mcpServerUrl) notes.push('resource matches the configured MCP server (CL-03)')
        else refused(`resource "${String(body.resource)}" is not the configured MCP server (CL-03)`)
        if (Array.isArray(body.authorization_servers))
          notes.push(`authorization servers: ${body.authorization_servers.join(', ')} (CL-01)`)
      } else {
        // CL-05: the metadata URL must be one derived from the issuer it names.
        const issuer = typeof body.issuer === 'string' ? body.issuer : ''
        if (URL.canParse(issuer) && metadataCandidates(issuer).includes(exchange.request.url))
          notes.push('issuer matches (CL-05)')
        else refused(`issuer "${issuer}" does not match the URL the metadata was fetched from (CL-05)`)
        const profile = idJagProfileNote(body)
        if (profile !== undefined) notes.push(profile)
        else refused('does not advertise the ID-JAG grant profile with the jwt-bearer grant (CL-06, CL-07)')
      }
    }
    this.#emit({ ...step, notes: [...notes, ...(step.notes ?? [])] })
  }

  #tokenExchange(exchange: Exchange, after: string | undefined): Step {
    const step: Step = { title: `Token exchange at ${this.#names.idpName} (RFC 8693)`, ...outcome(exchange) }
    const notes = [
      ...(after === undefined ? [] : [after]),
      `client authentication ${clientAuthentication(exchange)} (CL-27, CL-28)`,
      ...(step.notes ?? []),
    ]
    const body = exchange.response?.body as
      { scope?: unknown; issued_token_type?: unknown; token_type?: unknown; refresh_token?: unknown } | undefined
    // CL-30, repeated for the page: exactly an ID-JAG, typed N_A, and no refresh token.
    if (
      step.status === 'ok' &&
      (body?.issued_token_type !== TOKEN_TYPE.ID_JAG ||
        String(body.token_type).toUpperCase() !== TOKEN_RESPONSE_TYPE.N_A ||
        body.refresh_token !== undefined)
    ) {
      step.status = 'error'
      notes.push(
        'not an ID-JAG response: issued_token_type id-jag, token_type N_A and no refresh_token are required (CL-30)',
      )
    }
    if (step.status === 'ok')
      notes.push(
        typeof body?.scope === 'string'
          ? `granted scope: ${body.scope}`
          : 'no scope in the response: the requested scope was granted (CL-31)',
      )
    return { ...step, notes, ...tokens(exchange, 'ID-JAG') }
  }

  #jwtBearer(exchange: Exchange, after: string | undefined): Step {
    const title = this.#connected
      ? 'Access token re-acquired by the MCP SDK (RFC 7523 jwt-bearer, fresh ID-JAG)'
      : 'Access token from the MCP authorization server (RFC 7523 jwt-bearer)'
    const step: Step = { title, ...outcome(exchange) }
    const notes = [
      ...(after === undefined ? [] : [after]),
      `client authentication ${clientAuthentication(exchange)} (CL-28, CL-37)`,
      ...(step.notes ?? []),
    ]
    const body = exchange.response?.body as { scope?: unknown; token_type?: unknown } | undefined
    // CL-42, repeated for the page: only a Bearer token is sent.
    if (step.status === 'ok' && String(body?.token_type).toLowerCase() !== 'bearer') {
      step.status = 'error'
      notes.push('not a Bearer token (CL-42)')
    }
    if (step.status === 'ok')
      notes.push(`granted scope: ${typeof body?.scope === 'string' ? body.scope : '(as requested)'}`)
    return { ...step, notes, ...tokens(exchange, 'Access token') }
  }

  #mcp(exchange: Exchange): void {
    this.#connected = true
    const message = exchange.request.json as
      { method?: unknown; id?: unknown; params?: { name?: unknown; arguments?: unknown } } | undefined
    const method = typeof message?.method === 'string' ? message.method : undefined
    const status = exchange.response?.status
    const result = (exchange.response?.body as { result?: Record<string, unknown> } | undefined)?.result
    if (method === 'initialize' && status !== undefined && status < 300) {
      this.#serverInfo = result?.serverInfo
      return
    }
    // The transport's own requests (notifications, the event stream, closing the session) are not steps.
    if (status !== undefined && status < 300 && (method === undefined || message?.id === undefined)) return
    if (exchange.request.method !== 'POST' && status !== undefined && status !== 401 && status !== 403) return
    const step: Step =
      method === 'tools/call'
        ? {
            title: `Call tool ${String(message?.params?.name)}`,
            ...outcome(exchange),
            request: {
              method: 'POST',
              url: exchange.request.url,
              params: {
                name: String(message?.params?.name),
                arguments: JSON.stringify(message?.params?.arguments ?? {}),
              },
            },
          }
        : method === 'tools/list' || method === 'initialize'
          ? {
              title: `Connect to the ${this.#names.serverName} MCP server and list tools (Streamable HTTP, Bearer)`,
              ...outcome(exchange),
              request: {
                method: 'POST',
                url: exchange.request.url,
                headers: pick(exchange.request.headers, 'authorization'),
                params: { method: 'initialize, tools/list' },
              },
            }
          : { title: `MCP ${method ?? exchange.request.method}`, ...outcome(exchange) }
    if (status !== undefined && status < 300) {
      const tools = Array.isArray(result?.tools) ? result.tools.map((tool: { name?: unknown }) => tool.name) : undefined
      const body =
        method === 'tools/call'
          ? result === undefined
            ? undefined
            : { isError: result.isError ?? false }
          : { serverInfo: this.#serverInfo, ...(tools === undefined ? {} : { tools }) }
      this.#emit({ ...step, response: { status, ...(body === undefined ? {} : { body }) } })
      return
    }
    if (status === 401 || status === 403) {
      const challenge = parseBearerChallenge(exchange.response?.headers['www-authenticate'] ?? null)
      const note =
        status === 403 && challenge?.error === 'insufficient_scope'
          ? `after the MCP server answered 403 insufficient_scope (scope "${challenge.scope ?? ''}"): a step-up (CL-46)`
          : `after the MCP server answered ${status} ${challenge?.error ?? ''}`.trimEnd() + ': a fresh ID-JAG (CL-44)'
      this.#pending = {
        kind: 'mcp-refusal',
        step: { ...step, status: 'error', response: { status, body: challengeBody(exchange) } },
        note,
      }
      return
    }
    this.#emit(step)
  }
}

const PROBE = 'probe'
const PROTECTED_RESOURCE_METADATA = 'Protected resource metadata (RFC 9728)'
const AUTHORIZATION_SERVER_METADATA = 'Authorization server metadata (RFC 8414)'
const TOKEN_EXCHANGE = 'token-exchange'
const JWT_BEARER = 'jwt-bearer'
const MCP = 'mcp'

function classify(exchange: Exchange, mcpServerUrl: string): string | undefined {
  const { request } = exchange
  const url = new URL(request.url)
  if (request.method === 'GET' && url.pathname.startsWith(WELL_KNOWN.OAUTH_PROTECTED_RESOURCE))
    return PROTECTED_RESOURCE_METADATA
  if (
    request.method === 'GET' &&
    (url.pathname.includes(WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER) ||
      url.pathname.includes(WELL_KNOWN.OPENID_CONFIGURATION))
  )
    return AUTHORIZATION_SERVER_METADATA
  if (request.params?.grant_type === GRANT_TYPE.TOKEN_EXCHANGE) return TOKEN_EXCHANGE
  if (request.params?.grant_type === GRANT_TYPE.JWT_BEARER) return JWT_BEARER
  if (url.href === new URL(mcpServerUrl).href) return request.headers.authorization === undefined ? PROBE : MCP
  return undefined
}

/** Status, request and response of a step, from one exchange. */
function outcome(exchange: Exchange): Pick<Step, 'status' | 'request' | 'response' | 'notes'> {
  const { request, response } = exchange
  return {
    status: response !== undefined && response.status < 400 ? 'ok' : 'error',
    request: {
      method: request.method,
      url: request.url,
      headers: pick(request.headers, 'authorization'),
      ...(request.params === undefined ? {} : { params: request.params }),
    },
    ...(response === undefined
      ? {}
      : { response: { status: response.status, ...(response.body === undefined ? {} : { body: response.body }) } }),
    ...(exchange.failure === undefined ? {} : { notes: failureNotes(exchange) }),
  }
}

function failureNotes(exchange: Exchange): string[] {
  return exchange.failure === undefined ? [] : [`no response: ${exchange.failure}`]
}

function challengeBody(exchange: Exchange): { 'WWW-Authenticate': string } | undefined {
  const header = exchange.response?.headers['www-authenticate']
  return header === undefined ? undefined : { 'WWW-Authenticate': header }
}

/** The method, as the wire shows it (RFC 6749 §2.3.1, RFC 7523 §2.2, RFC 7591 `none`). */
function clientAuthentication(exchange: Exchange): string {
  const { headers, params } = exchange.request
  if (params?.client_assertion_type !== undefined) return 'private_key_jwt'
  if (headers.authorization?.startsWith('Basic ') === true) return 'client_secret_basic'
  if (params?.client_secret !== undefined) return 'client_secret_post'
  return 'none (client_id only)'
}

function tokens(exchange: Exchange, label: string): Pick<Step, 'tokens'> {
  const issued = exchange.response?.jwts?.access_token
  return issued === undefined ? {} : { tokens: [{ label, header: issued.header, claims: issued.claims }] }
}

function pick(headers: Record<string, string>, name: string): Record<string, string> | undefined {
  return headers[name] === undefined ? undefined : { [name]: headers[name] }
}
