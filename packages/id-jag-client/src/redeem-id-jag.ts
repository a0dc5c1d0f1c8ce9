import { GRANT_TYPE } from '@ema/tokens'
import { z } from 'zod'
import type { ClientRegistration } from './client-registration.ts'
import { asFlowError, FlowError } from './flow-error.ts'
import { postTokenRequest, throwIfTokenError } from './post-token-request.ts'
import { decodedToken, safeBody, type Step, type StepRecorder } from './step.ts'

/** RFC 6749 §5.1 access token response. */
export const AccessTokenResponse = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number().optional(),
  scope: z.string().optional(),
  refresh_token: z.string().optional(),
})
export type AccessTokenResponse = z.infer<typeof AccessTokenResponse>

/** The parameters of the jwt-bearer request, without client authentication (CL-36, CL-39, CL-40). */
export function jwtBearerParams(idJag: string, resource: string, scope: string | undefined): URLSearchParams {
  const params = new URLSearchParams({
    grant_type: GRANT_TYPE.JWT_BEARER, // CL-36
    assertion: idJag, // CL-36: exactly one JWT
    resource, // CL-39
  })
  if (scope !== undefined && scope !== '') params.set('scope', scope) // CL-40
  return params
}

export interface RedeemIdJagOptions {
  /** The MCP authorization server's token endpoint (from its metadata). */
  tokenEndpoint: string
  idJag: string
  /** The MCP server's resource identifier, the same as in the ID-JAG (CL-39). */
  resource: string
  scope?: string | undefined
  /** The client's registration at the MCP authorization server: the `client_id` in the ID-JAG (CL-37). */
  client: ClientRegistration
  /** The authorization server's issuer: the audience of a `private_key_jwt` assertion (CL-28). */
  issuer?: string | undefined
  /** Its metadata's `token_endpoint_auth_methods_supported`, to choose the method (CL-28, CL-37). */
  authMethodsSupported?: readonly string[] | undefined
  fetch: typeof fetch
  allowInsecureHttp: boolean
  record?: StepRecorder
}

/**
 * Redeems an ID-JAG for an access token at the MCP authorization server with the RFC 7523
 * jwt-bearer grant (CL-36…CL-40): `grant_type`, `assertion`, `resource`, `scope`, authenticated
 * with the registration at that server.
 *
 * Does NOT verify the access token: it is opaque to the client (the page decodes it for display).
 * Does NOT send DPoP proofs (CL-41 applies only to an ID-JAG with `cnf`, which this demo never issues).
 * @throws {FlowError} carrying the authorization server's `error` code (e.g. `invalid_grant`).
 */
export async function redeemIdJag(options: RedeemIdJagOptions): Promise<AccessTokenResponse> {
  const record = options.record ?? (() => {})
  const step: Step = { title: 'Access token from the MCP authorization server (RFC 7523 jwt-bearer)', status: 'ok' }
  try {
    const params = jwtBearerParams(options.idJag, options.resource, options.scope)
    // CL-37: authenticate as the client_id the IdP put in the ID-JAG.
    const result = await postTokenRequest({
      tokenEndpoint: options.tokenEndpoint,
      params,
      client: options.client,
      serverName: 'the MCP authorization server',
      issuer: options.issuer,
      authMethodsSupported: options.authMethodsSupported,
      fetch: options.fetch,
      allowInsecureHttp: options.allowInsecureHttp,
    })
    step.request = result.request
    step.notes = [`client authentication ${result.clientAuthentication.reason} (CL-28, CL-37)`]
    step.response = { status: result.status, body: safeBody(result.body) }
    throwIfTokenError(result, 'The MCP authorization server', 'an access token')
    const parsed = AccessTokenResponse.safeParse(result.body)
    if (!parsed.success) throw new FlowError('invalid_response', `The MCP authorization server returned a malformed token response: ${parsed.error.issues[0]?.message ?? 'invalid'}`)
    if (parsed.data.token_type.toLowerCase() !== 'bearer') {
      throw new FlowError('invalid_response', `The MCP authorization server returned token_type "${parsed.data.token_type}"; this client only sends Bearer tokens (CL-42)`)
    }
    step.tokens = decodedToken('Access token', parsed.data.access_token)
    record(step)
    return parsed.data
  } catch (error) {
    record({ ...step, status: 'error' })
    throw asFlowError(error)
  }
}
