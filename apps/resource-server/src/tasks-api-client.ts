import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'

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
}

/** Most bytes of an answer read; a longer one is an unusable answer. */
const MAX_RESPONSE_BYTES = 1024 * 1024

/**
 * A small HTTP client for the Tasks API (GET /whoami, GET /tasks, POST /tasks) over node:http(s) with
 * one keep-alive agent for the life of the server: every tool call reuses an open connection, and none
 * of fetch's per-request machinery (WHATWG streams, Request and Response objects, an AbortSignal
 * timer) runs per call (decision 0070). A bearer token never follows a redirect: a 3xx is a refusal.
 */
export function createTasksApiClient(options: TasksApiClientOptions): TasksApiClient {
  const base = new URL(options.url)
  const https = base.protocol === 'https:'
  // noDelay: a request goes out as soon as it is written (no Nagle wait for the previous answer's ACK).
  const agent = https
    ? new HttpsAgent({ keepAlive: true, scheduling: 'lifo', noDelay: true })
    : new HttpAgent({ keepAlive: true, scheduling: 'lifo', noDelay: true })
  const send = https ? httpsRequest : httpRequest
  return {
    url: options.url,
    call: async (accessToken, request) => {
      const url = `${options.url}${request.path}`
      const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body))
      const headers = {
        authorization: `Bearer ${accessToken}`,
        accept: 'application/json',
        ...(payload === undefined
          ? {}
          : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
      }
      const once = () =>
        new Promise<Answer>((resolve, reject) => {
          const req = send(url, { method: request.method, agent, headers }, (res) => {
            const chunks: Buffer[] = []
            let length = 0
            res.on('data', (chunk: Buffer) => {
              length += chunk.length
              if (length > MAX_RESPONSE_BYTES)
                req.destroy(new Error(`the answer is longer than ${MAX_RESPONSE_BYTES} bytes`))
              else chunks.push(chunk)
            })
            res.on('end', () => {
              clearTimeout(timer)
              const text = Buffer.concat(chunks).toString('utf8')
              resolve({ status: res.statusCode ?? 0, text, challenge: res.headers['www-authenticate'] })
            })
            res.on('error', reject)
          })
          const timer = setTimeout(() => req.destroy(new TimeoutError()), options.timeoutMs)
          req.on('error', (error: NodeJS.ErrnoException) => {
            clearTimeout(timer)
            // The API closed a kept-alive connection just as this request went out on it: nothing was
            // processed, so a GET is sent once more, on a new connection.
            reject(
              req.reusedSocket && error.code === 'ECONNRESET' && request.method === 'GET'
                ? new StaleConnection(error)
                : error,
            )
          })
          req.end(payload)
        })
      let answer: Answer
      try {
        answer = await once().catch((error: unknown) =>
          error instanceof StaleConnection ? once() : Promise.reject(error),
        )
      } catch (cause) {
        throw new TasksApiError({
          kind: 'unavailable',
          error: 'temporarily_unavailable',
          errorDescription:
            cause instanceof TimeoutError
              ? `no answer from ${url} within ${options.timeoutMs} ms`
              : `${url}: ${reasonOf(cause)}`,
          cause,
        })
      }
      const body = parseObject(answer.text)
      if (answer.status < 200 || answer.status > 299) {
        const error =
          typeof body?.error === 'string'
            ? printable(body.error, 64)
            : challengeParameter(answer.challenge ?? null, 'error')
        const description =
          typeof body?.error_description === 'string' ? printable(body.error_description, 300) : undefined
        throw new TasksApiError({
          kind: error === undefined && answer.status >= 500 ? 'unavailable' : 'refused',
          error: error ?? (answer.status >= 500 ? 'temporarily_unavailable' : `http_${answer.status}`),
          status: answer.status,
          ...(description === undefined ? {} : { errorDescription: description }),
        })
      }
      if (body === undefined)
        throw new TasksApiError({
          kind: 'invalid_response',
          error: 'invalid_response',
          status: answer.status,
          errorDescription: 'the body is not a JSON object',
        })
      return { method: request.method, url, status: answer.status, body }
    },
  }
}

interface Answer {
  status: number
  text: string
  challenge: string | undefined
}

/** A kept-alive connection the API had closed: the request may be sent again. */
class StaleConnection extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause })
  }
}

/** The Tasks API gave no complete answer within the timeout. */
class TimeoutError extends Error {
  constructor() {
    super('timeout')
    this.name = 'TimeoutError'
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
  const code = (cause as NodeJS.ErrnoException).code
  return typeof code === 'string' && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message
}
