import { assertTrustworthyUrl } from '@ema/tokens'
import { z } from 'zod'
import { type AppliedClientAuthentication, applyClientAuthentication, type TokenEndpointClient } from './client-authentication.ts'
import { FlowError } from './flow-error.ts'
import { safeHeaders, safeParams, type Step } from './step.ts'

export interface PostTokenRequestOptions {
  tokenEndpoint: string
  params: URLSearchParams
  client: TokenEndpointClient
  /** Who the server is, for messages and the method choice (e.g. "Acme SSO"). */
  serverName: string
  /** The server's issuer: the audience of a `private_key_jwt` assertion. */
  issuer?: string | undefined
  /** Its metadata's `token_endpoint_auth_methods_supported` (RFC 8414 §2). */
  authMethodsSupported?: readonly string[] | undefined
  fetch: typeof fetch
  allowInsecureHttp: boolean
}

export interface TokenEndpointResult {
  status: number
  body: unknown
  /** The request as the page shows it, credentials redacted. */
  request: NonNullable<Step['request']>
  /** The client authentication method used, and why (a step note). */
  clientAuthentication: AppliedClientAuthentication
}

/** RFC 6749 §5.2 error response. */
export const OAuthErrorResponse = z.object({
  error: z.string().min(1),
  error_description: z.string().optional(),
})

/**
 * POSTs a form-encoded token request with client authentication (RFC 6749 §3.2, §2.3.1) and returns
 * the parsed JSON body. Does NOT interpret the body: each grant's own file does.
 */
export async function postTokenRequest(options: PostTokenRequestOptions): Promise<TokenEndpointResult> {
  const url = new URL(options.tokenEndpoint)
  assertTrustworthyUrl(url, options.allowInsecureHttp) // CL-48
  const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' })
  const params = new URLSearchParams(options.params)
  const target = { name: options.serverName, tokenEndpoint: options.tokenEndpoint, issuer: options.issuer, authMethodsSupported: options.authMethodsSupported }
  const clientAuthentication = await applyClientAuthentication(options.client, target, headers, params)
  const request = { method: 'POST', url: url.href, headers: safeHeaders(headers), params: safeParams(params) }
  let response: Response
  try {
    // CL-50: follow no redirects on a token request.
    response = await options.fetch(url, { method: 'POST', headers, body: params, redirect: 'manual' })
  } catch (cause) {
    throw new FlowError('network_error', `Could not reach ${url.origin}: ${describe(cause)}`, { cause })
  }
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: response.status, body, request, clientAuthentication }
}

/** Throws a {@link FlowError} for a non-2xx token response, naming the wire error code. */
export function throwIfTokenError(result: TokenEndpointResult, who: string, what: string): void {
  if (result.status >= 200 && result.status < 300) return
  const parsed = OAuthErrorResponse.safeParse(result.body)
  if (parsed.success) {
    const { error, error_description: description } = parsed.data
    throw new FlowError(error, `${who} refused to issue ${what}: ${description ?? error}`, { description, status: result.status })
  }
  throw new FlowError('server_error', `${who} answered HTTP ${result.status} without an OAuth error body when asked for ${what}`, { status: result.status })
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.cause instanceof Error ? `${cause.message} (${cause.cause.message})` : cause.message
  return String(cause)
}
