/** Why a Tasks API call gave no answer: it refused (an OAuth/HTTP error), it could not be reached in time, or its answer was unusable. */
export type TasksApiFailure = 'refused' | 'unavailable' | 'invalid_response'

/**
 * A Tasks API call that failed. Carries who refused ("the Tasks API"), the OAuth `error` code of the
 * refusal (RFC 6750 §3.1 `invalid_token`, `insufficient_scope`, or the API's own `invalid_request`),
 * its description and the HTTP status. Never any token.
 */
export class TasksApiError extends Error {
  readonly refusedBy = 'the Tasks API'
  readonly kind: TasksApiFailure
  readonly error: string
  readonly errorDescription: string | undefined
  readonly status: number | undefined

  constructor(init: {
    kind: TasksApiFailure
    error: string
    errorDescription?: string
    status?: number
    cause?: unknown
  }) {
    const detail = init.errorDescription === undefined ? '' : `: ${init.errorDescription}`
    const status = init.status === undefined ? '' : ` (HTTP ${init.status})`
    super(
      init.kind === 'refused'
        ? `the Tasks API refused the call${status}: ${init.error}${detail}`
        : init.kind === 'unavailable'
          ? `the Tasks API could not be reached${status}${detail}`
          : `the Tasks API answered with something unexpected${status}${detail}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    )
    this.name = 'TasksApiError'
    this.kind = init.kind
    this.error = init.error
    this.errorDescription = init.errorDescription
    this.status = init.status
  }
}

export interface TasksApiRequest {
  method: 'GET' | 'POST'
  /** `/whoami`, `/tasks`. */
  path: string
  /** Sent as JSON. */
  body?: unknown
}

export interface TasksApiResponse {
  method: string
  url: string
  status: number
  /** The JSON object the API answered. */
  body: Record<string, unknown>
}

export interface TasksApiClient {
  /** The API's base URL. */
  readonly url: string
  /**
   * Calls the Tasks API with `accessToken`, which must be a token issued FOR the Tasks API by the
   * exchange, never the token this server received (OBO-01).
   *
   * @throws {TasksApiError} for any answer but a 2xx JSON object, a network failure or the timeout.
   */
  call(accessToken: string, request: TasksApiRequest): Promise<TasksApiResponse>
}

export interface TasksApiClientOptions {
  /** The Tasks API's base URL (TASKS_API_URL). */
  url: string
  timeoutMs: number
  /** Default: the global fetch. */
  fetch?: typeof fetch
}

/** A small HTTP client for the Tasks API (GET /whoami, GET /tasks, POST /tasks). */
export function createTasksApiClient(options: TasksApiClientOptions): TasksApiClient {
  const send = options.fetch ?? fetch
  return {
    url: options.url,
    call: async (accessToken, request) => {
      const url = `${options.url}${request.path}`
      let response: Response
      let text: string
      try {
        response = await send(url, {
          method: request.method,
          headers: {
            authorization: `Bearer ${accessToken}`,
            accept: 'application/json',
            ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
          redirect: 'error', // a bearer token does not follow a redirect somewhere else
          signal: AbortSignal.timeout(options.timeoutMs),
        })
        text = await response.text()
      } catch (cause) {
        const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError')
        throw new TasksApiError({
          kind: 'unavailable',
          error: 'temporarily_unavailable',
          errorDescription: timedOut
            ? `no answer from ${url} within ${options.timeoutMs} ms`
            : `${url}: ${reasonOf(cause)}`,
          cause,
        })
      }
      const body = parseObject(text)
      if (response.status < 200 || response.status > 299) {
        const error =
          typeof body?.error === 'string'
            ? printable(body.error, 64)
            : challengeParameter(response.headers.get('www-authenticate'), 'error')
        const description =
          typeof body?.error_description === 'string' ? printable(body.error_description, 300) : undefined
        throw new TasksApiError({
          kind: error === undefined && response.status >= 500 ? 'unavailable' : 'refused',
          error: error ?? (response.status >= 500 ? 'temporarily_unavailable' : `http_${response.status}`),
          status: response.status,
          ...(description === undefined ? {} : { errorDescription: description }),
        })
      }
      if (body === undefined)
        throw new TasksApiError({
          kind: 'invalid_response',
          error: 'invalid_response',
          status: response.status,
          errorDescription: 'the body is not a JSON object',
        })
      return { method: request.method, url, status: response.status, body }
    },
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

function challengeParameter(header: string | null, name: string): string | undefined {
  const match = header === null ? null : new RegExp(`${name}="([^"]*)"`).exec(header)
  return match?.[1] === undefined ? undefined : printable(match[1], 64)
}

function printable(value: string, max: number): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, max)
}

function reasonOf(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause)
  const code = (cause.cause as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? `${cause.message} (${code})` : cause.message
}
