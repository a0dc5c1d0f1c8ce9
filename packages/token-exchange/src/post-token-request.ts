import { request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'

/** The answer of a token endpoint: its status and its body, parsed as JSON when it is JSON. */
export interface TokenEndpointResponse {
  status: number
  /** The parsed JSON body, or `undefined` when the body was not JSON. */
  body: unknown
}

export interface PostTokenRequestOptions {
  /** For https: the agent carrying the client certificate and trusted CAs (RFC 8705). */
  agent?: HttpsAgent
  timeoutMs: number
  /** Most bytes of body read; a longer answer is an error. */
  maxBytes: number
}

/**
 * POSTs a form to a token endpoint over Node's http/https (so that a client certificate can be
 * presented, which `fetch` cannot do without an undici dispatcher), within `timeoutMs` from
 * connecting to the last byte.
 *
 * @throws {Error} on a network failure, the timeout, or an over-long body (the caller maps these).
 */
export function postTokenRequest(
  url: URL,
  headers: Record<string, string>,
  form: URLSearchParams,
  options: PostTokenRequestOptions,
): Promise<TokenEndpointResponse> {
  const body = Buffer.from(form.toString())
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'content-length': String(body.length),
        },
        signal: AbortSignal.timeout(options.timeoutMs),
        ...(options.agent === undefined ? {} : { agent: options.agent }),
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        let length = 0
        res.on('data', (chunk: Buffer) => {
          length += chunk.length
          if (length > options.maxBytes) {
            req.destroy(new Error(`the token endpoint's answer is longer than ${options.maxBytes} bytes`))
            return
          }
          chunks.push(chunk)
        })
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let parsed: unknown
          try {
            parsed = JSON.parse(text)
          } catch {
            parsed = undefined
          }
          resolve({ status: res.statusCode ?? 0, body: parsed })
        })
        res.on('error', reject)
      },
    )
    req.on('error', (error: Error) => {
      reject(
        error.name === 'AbortError' ? new Error(`no answer within ${options.timeoutMs} ms`, { cause: error }) : error,
      )
    })
    req.end(body)
  })
}
