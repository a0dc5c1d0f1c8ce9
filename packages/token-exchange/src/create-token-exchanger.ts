import { readFileSync } from 'node:fs'
import { Agent as HttpsAgent } from 'node:https'
import { GRANT_TYPE, TOKEN_TYPE } from '@ema/tokens'
import { postTokenRequest, type TokenEndpointResponse } from './post-token-request.ts'
import type { ClientCertificate, TokenExchangeConfig } from './token-exchange-config.ts'
import { TokenExchangeError } from './token-exchange-error.ts'

/** One exchange a caller asks for: whose token, for which downstream, with which scope. */
export interface SubjectTokenExchange {
  /** The token to exchange (OBO-03), already fully validated by the caller (OBO-02). */
  subjectToken: string
  /**
   * Who the subject token speaks for, as the cache key's user part (OBO-17). Use every claim that
   * changes the issued token, e.g. `iss`, `sub` and `client_id`: the issued `act` names the client.
   */
  user: string
  /** OBO-06: the scope this call needs. Default: the config's `scope`. */
  scope?: string
  /** Default: the config's `audience`. */
  audience?: string
  /** Default: the config's `resource`. */
  resource?: string
  /** The subject token's `exp` (seconds): a cached token is never reused past it. */
  subjectTokenExpiresAt?: number
}

/** What went on the wire for an exchange, safe to show and log: every secret and token redacted. */
export interface ExchangeTrace {
  request: {
    method: 'POST'
    url: string
    client_authentication: 'tls_client_auth' | 'client_secret_basic' | 'client_secret_post'
    /** The form parameters; `subject_token` and `client_secret` redacted. */
    params: Record<string, string>
  }
  /** The token endpoint's HTTP status. */
  status: number
  duration_ms: number
}

/** An issued token (RFC 8693 §2.2.1, OBO-15). */
export interface ExchangedToken {
  accessToken: string
  /** `Bearer`. */
  tokenType: string
  issuedTokenType: string
  /** Seconds since the epoch, from `expires_in`; undefined when the STS named none (then nothing is cached). */
  expiresAt: number | undefined
  /** The granted scope, when the STS named it. */
  scope: string | undefined
  /** True when this came from the cache (or from an exchange another call had in flight). */
  fromCache: boolean
  /** The exchange that issued it. */
  trace: ExchangeTrace
}

/** Counts, for tests and metrics. */
export interface TokenExchangerStats {
  /** Exchanges sent to the token endpoint. */
  exchanges: number
  /** Calls answered from the cache. */
  cacheHits: number
  /** Calls that waited for an exchange already in flight for the same key. */
  joined: number
}

export interface TokenExchanger {
  /**
   * A token for the downstream: from the cache while it is fresh (OBO-17), else from one exchange,
   * shared by every call for the same (user, audience, resource, scope) that arrives meanwhile.
   *
   * @throws {TokenExchangeError} when no token could be had; nothing is cached then.
   */
  exchange(request: SubjectTokenExchange): Promise<ExchangedToken>
  /** Drops every cached token. */
  clear(): void
  readonly stats: Readonly<TokenExchangerStats>
}

/** A logger with the shape of server-kit's; the exchanger passes it no token or secret. */
export interface TokenExchangeLogger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
}

export interface TokenExchangerDeps {
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number
  log?: TokenExchangeLogger
}

const MAX_RESPONSE_BYTES = 64 * 1024

/**
 * An RFC 8693 token exchange client for on-behalf-of calls (OBO-03 … OBO-07, OBO-15, OBO-17, OBO-21).
 *
 * Sends `grant_type`, `subject_token`, `subject_token_type`, `requested_token_type`, `audience` and/or
 * `resource`, and `scope` when there is one, authenticated with a client secret (basic or post) or a
 * client certificate (mTLS, RFC 8705). Accepts only a 200 JSON answer with `access_token`,
 * `issued_token_type` and a `Bearer` `token_type`. Caches per (user, audience, resource, scope) until
 * `expiryMarginSeconds` before the earlier of its expiry and the subject token's; keeps one exchange
 * in flight per key.
 *
 * Does NOT validate the subject token (the caller must, OBO-02) nor the issued token (the downstream
 * does, OBO-18). Certificate files are read on the first exchange; `loadClientCertificate` checks them early.
 *
 * @throws {TypeError} at once for an unusable configuration (no or two client authentications, mTLS
 *   over plain http, neither audience nor resource, a token URL that is not a URL).
 */
export function createTokenExchanger(config: TokenExchangeConfig, deps: TokenExchangerDeps = {}): TokenExchanger {
  const tokenUrl = parseTokenUrl(config)
  const now = deps.now ?? Date.now
  const stsName = config.stsName ?? 'the authorization server'
  const marginMs = (config.expiryMarginSeconds ?? 30) * 1000
  const maxEntries = config.maxCacheEntries ?? 1000
  const timeoutMs = config.timeoutMs ?? 10_000
  const clientAuthentication =
    config.clientCertificate !== undefined ? 'tls_client_auth' : (config.clientSecretMethod ?? 'client_secret_basic')
  const cache = new Map<string, { token: ExchangedToken; freshUntilMs: number }>()
  const inFlight = new Map<string, Promise<ExchangedToken>>()
  const stats: TokenExchangerStats = { exchanges: 0, cacheHits: 0, joined: 0 }
  let agent: HttpsAgent | undefined

  const httpsAgent = (): HttpsAgent | undefined => {
    if (tokenUrl.protocol !== 'https:') return undefined
    if (agent !== undefined) return agent
    try {
      const tls =
        config.clientCertificate !== undefined
          ? loadClientCertificate(config.clientCertificate)
          : { ca: pemOf('ca', config.ca, config.caFile) }
      agent = new HttpsAgent({ keepAlive: true, ...definedOnly(tls) })
    } catch (cause) {
      throw new TokenExchangeError({
        kind: 'misconfigured',
        refusedBy: stsName,
        error: 'misconfigured',
        errorDescription: cause instanceof Error ? cause.message : String(cause),
        cause,
      })
    }
    return agent
  }

  const send = async (request: SubjectTokenExchange, key: string): Promise<ExchangedToken> => {
    const audience = request.audience ?? config.audience
    const resource = request.resource ?? config.resource
    const scope = request.scope ?? config.scope
    const form = new URLSearchParams({
      grant_type: GRANT_TYPE.TOKEN_EXCHANGE, //                                               OBO-03
      subject_token: request.subjectToken,
      subject_token_type: config.subjectTokenType ?? TOKEN_TYPE.ACCESS_TOKEN,
      requested_token_type: config.requestedTokenType ?? TOKEN_TYPE.ACCESS_TOKEN, //          OBO-04
    })
    if (audience !== undefined) form.set('audience', audience) //                            OBO-05
    if (resource !== undefined) form.set('resource', resource)
    if (scope !== undefined && scope !== '') form.set('scope', scope) //                     OBO-06
    const headers: Record<string, string> = {}
    if (clientAuthentication === 'client_secret_basic')
      headers.authorization = basicAuthorization(config.clientId, config.clientSecret ?? '')
    else form.set('client_id', config.clientId) //                                           RFC 8705 §2: client_id with mTLS
    if (clientAuthentication === 'client_secret_post') form.set('client_secret', config.clientSecret ?? '')

    const trace: ExchangeTrace = {
      request: {
        method: 'POST',
        url: tokenUrl.href,
        client_authentication: clientAuthentication,
        params: redactedParams(form),
      },
      status: 0,
      duration_ms: 0,
    }
    const started = now()
    stats.exchanges++
    let response: TokenEndpointResponse
    try {
      response = await postTokenRequest(tokenUrl, headers, form, {
        agent: httpsAgent(),
        timeoutMs,
        maxBytes: MAX_RESPONSE_BYTES,
      })
    } catch (cause) {
      if (cause instanceof TokenExchangeError) throw cause
      deps.log?.info('token exchange failed: no answer', {
        token_url: tokenUrl.href,
        audience,
        scope,
        cause: describe(cause),
      })
      throw new TokenExchangeError({
        kind: 'unavailable',
        refusedBy: stsName,
        error: 'temporarily_unavailable',
        errorDescription: describe(cause),
        cause,
      })
    }
    trace.status = response.status
    trace.duration_ms = now() - started
    const token = readTokenResponse(response, stsName, trace, now())
    deps.log?.debug('token exchanged', {
      token_url: tokenUrl.href,
      audience,
      resource,
      scope: token.scope ?? scope,
      status: response.status,
      expires_at: token.expiresAt,
      duration_ms: trace.duration_ms,
    })

    const expiries = [token.expiresAt, request.subjectTokenExpiresAt].filter((e): e is number => e !== undefined)
    const freshUntilMs = token.expiresAt === undefined ? 0 : Math.min(...expiries) * 1000 - marginMs
    if (freshUntilMs > now()) {
      cache.delete(key)
      cache.set(key, { token, freshUntilMs })
      prune()
    }
    return token
  }

  const prune = (): void => {
    const at = now()
    for (const [key, entry] of cache) if (entry.freshUntilMs <= at) cache.delete(key)
    while (cache.size > maxEntries) cache.delete(cache.keys().next().value!)
  }

  return {
    exchange: async (request) => {
      const key = JSON.stringify([
        request.user,
        request.audience ?? config.audience ?? null,
        request.resource ?? config.resource ?? null,
        request.scope ?? config.scope ?? null,
      ])
      const cached = cache.get(key)
      if (cached !== undefined && cached.freshUntilMs > now()) {
        stats.cacheHits++
        return { ...cached.token, fromCache: true }
      }
      const pending = inFlight.get(key)
      if (pending !== undefined) {
        stats.joined++
        return { ...(await pending), fromCache: true }
      }
      const exchange = send(request, key).finally(() => inFlight.delete(key))
      inFlight.set(key, exchange)
      return exchange
    },
    clear: () => cache.clear(),
    stats,
  }
}

/**
 * Reads a client certificate's PEM parts from strings or files, to fail early at start-up.
 *
 * @throws {Error} naming the file that cannot be read (never its content).
 */
export function loadClientCertificate(certificate: ClientCertificate): {
  cert: string
  key: string
  ca: string | undefined
} {
  const cert = pemOf('cert', certificate.cert, certificate.certFile)
  const key = pemOf('key', certificate.key, certificate.keyFile)
  if (cert === undefined || key === undefined)
    throw new Error('a client certificate needs both cert (or certFile) and key (or keyFile)')
  return { cert, key, ca: pemOf('ca', certificate.ca, certificate.caFile) }
}

function pemOf(name: string, pem: string | undefined, file: string | undefined): string | undefined {
  if (pem !== undefined) return pem
  if (file === undefined) return undefined
  try {
    return readFileSync(file, 'utf8')
  } catch (cause) {
    throw new Error(`cannot read the ${name} file ${file} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause,
    })
  }
}

function parseTokenUrl(config: TokenExchangeConfig): URL {
  let url: URL
  try {
    url = new URL(config.tokenUrl)
  } catch {
    throw new TypeError(`the token URL is not a URL: ${config.tokenUrl}`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new TypeError(`the token URL must be https (or http for a local demo): ${config.tokenUrl}`)
  if (config.clientCertificate !== undefined && config.clientSecret !== undefined)
    throw new TypeError('configure either a client secret or a client certificate, not both')
  if (config.clientCertificate === undefined && config.clientSecret === undefined)
    throw new TypeError(
      'the token exchange client needs a client secret or a client certificate (OBO-07: never a public client)',
    )
  if (config.clientCertificate !== undefined && url.protocol !== 'https:')
    throw new TypeError('a client certificate (mTLS) needs an https token URL')
  if (config.audience === undefined && config.resource === undefined)
    throw new TypeError('name the downstream with an audience, a resource, or both (OBO-05)')
  if (config.resource !== undefined && config.resource.includes('#'))
    throw new TypeError('the resource must not have a fragment (RFC 8707 §2)')
  return url
}

/** RFC 8693 §2.2.1 (OBO-15): a 200 JSON object with access_token, issued_token_type and token_type Bearer. */
function readTokenResponse(
  response: TokenEndpointResponse,
  stsName: string,
  trace: ExchangeTrace,
  nowMs: number,
): ExchangedToken {
  const body = response.body
  const record =
    typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined
  if (response.status !== 200) {
    const error = typeof record?.error === 'string' ? printable(record.error, 64) : undefined
    const errorDescription =
      typeof record?.error_description === 'string' ? printable(record.error_description, 300) : undefined
    if (error !== undefined)
      throw new TokenExchangeError({
        kind: 'refused',
        refusedBy: stsName,
        error,
        status: response.status,
        ...(errorDescription === undefined ? {} : { errorDescription }),
      })
    const kind = response.status >= 500 ? 'unavailable' : 'invalid_response'
    throw new TokenExchangeError({
      kind,
      refusedBy: stsName,
      error: kind === 'unavailable' ? 'temporarily_unavailable' : 'invalid_response',
      status: response.status,
      errorDescription: 'the answer carries no OAuth error code',
    })
  }
  const invalid = (what: string) =>
    new TokenExchangeError({
      kind: 'invalid_response',
      refusedBy: stsName,
      error: 'invalid_response',
      status: response.status,
      errorDescription: what,
    })
  if (record === undefined) throw invalid('the body is not a JSON object')
  const {
    access_token: accessToken,
    issued_token_type: issuedTokenType,
    token_type: tokenType,
    expires_in: expiresIn,
    scope,
  } = record
  if (typeof accessToken !== 'string' || accessToken === '') throw invalid('no access_token')
  if (typeof issuedTokenType !== 'string' || issuedTokenType === '')
    throw invalid('no issued_token_type (RFC 8693 §2.2.1)')
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')
    throw invalid(`token_type ${typeof tokenType === 'string' ? printable(tokenType, 16) : '(none)'} is not Bearer`)
  if (expiresIn !== undefined && (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0))
    throw invalid('expires_in is not a positive number')
  if (scope !== undefined && typeof scope !== 'string') throw invalid('scope is not a string')
  return {
    accessToken,
    tokenType,
    issuedTokenType,
    expiresAt: typeof expiresIn === 'number' ? Math.floor(nowMs / 1000) + expiresIn : undefined,
    scope: scope as string | undefined,
    fromCache: false,
    trace,
  }
}

function redactedParams(form: URLSearchParams): Record<string, string> {
  const params: Record<string, string> = {}
  for (const [name, value] of form) {
    params[name] =
      name === 'subject_token' || name === 'actor_token' || name === 'client_secret'
        ? `[redacted ${value.length} chars]`
        : value
  }
  return params
}

/** RFC 6749 §2.3.1: HTTP Basic over the form-urlencoded id and secret. */
function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+')
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`
}

/** Text from the STS for an error message: printable ASCII only, bounded. */
function printable(value: string, max: number): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, max)
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause)
  const code = (cause as NodeJS.ErrnoException).code ?? (cause.cause as NodeJS.ErrnoException | undefined)?.code
  return code === undefined ? cause.message : `${cause.message} (${code})`
}

function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
