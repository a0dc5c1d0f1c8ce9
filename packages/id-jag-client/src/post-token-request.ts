import { assertTrustworthyUrl } from '@ema/tokens'
import { z } from 'zod'
import type { TokenEndpointServer } from './choose-client-auth-method.ts'
import { applyClientAuthentication, type TokenEndpointClient } from './client-authentication.ts'
import { fetchOrFail } from './fetch-metadata.ts'
import { FlowError, type RefusingRole } from './flow-error.ts'

/** RFC 6749 §5.2 error response. */
const OAuthErrorResponse = z.object({
  error: z.string().min(1),
  error_description: z.string().optional(),
  // RFC 9470 §3: hints that come with insufficient_user_authentication (IDP-56); malformed ones are ignored.
  max_age: z.number().int().min(0).optional().catch(undefined),
  acr_values: z.string().optional().catch(undefined),
})

export interface TokenRequest {
  /** The token endpoint, its issuer and metadata, and its name in messages. */
  server: TokenEndpointServer
  /** Whose token endpoint it is: carried by a refusal as `refusedBy`. */
  role: RefusingRole
  client: TokenEndpointClient
  /** The grant's parameters, without client authentication. */
  params: URLSearchParams
  fetch: typeof fetch
  allowInsecureHttp: boolean
}

/**
 * POSTs a form-encoded token request with client authentication (RFC 6749 §3.2, §2.3.1), following
 * no redirects (CL-50), and returns the JSON body of a 2xx response.
 *
 * Does NOT interpret a successful body: each grant's own function does.
 * @throws {FlowError} carrying the server's `error` code for an error response (CL-35), `server_error`
 *   for one without an OAuth error body, `network_error` when the server cannot be reached.
 */
export async function postTokenRequest(request: TokenRequest, what: string): Promise<unknown> {
  const url = new URL(request.server.tokenEndpoint)
  assertTrustworthyUrl(url, request.allowInsecureHttp) // CL-48
  const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' })
  const params = new URLSearchParams(request.params)
  await applyClientAuthentication(request.client, request.server, headers, params)
  const response = await fetchOrFail(request.fetch, url, { method: 'POST', headers, body: params })
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: kept as text for the message below
  }
  if (response.ok) return body
  const refusal = OAuthErrorResponse.safeParse(body)
  if (!refusal.success)
    throw new FlowError(
      'server_error',
      `${request.server.name} answered HTTP ${response.status} without an OAuth error body when asked for ${what}`,
      { status: response.status, refusedBy: request.role },
    )
  const { error, error_description: description, max_age: maxAge, acr_values: acrValues } = refusal.data
  throw new FlowError(error, `${request.server.name} refused to issue ${what}: ${description ?? error}`, {
    description,
    status: response.status,
    refusedBy: request.role,
    maxAge,
    acrValues,
  })
}
