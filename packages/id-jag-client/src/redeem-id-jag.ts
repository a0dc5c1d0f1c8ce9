import { fetchToken } from '@modelcontextprotocol/sdk/client/auth.js'
import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js'
import { GRANT_TYPE } from '@ema/tokens'
import { z } from 'zod'
import type { AuthorizationServerMetadata } from './discover-authorization-server.ts'
import { asFlowError, FlowError } from './flow-error.ts'
import type { IdJagOAuthClientProvider } from './id-jag-oauth-client-provider.ts'

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
  /** The MCP authorization server's verified metadata: its `token_endpoint` and auth methods. */
  authorizationServer: AuthorizationServerMetadata
  fetch: typeof fetch
}

/**
 * Gets an access token from the MCP authorization server with a fresh ID-JAG (RFC 7523 jwt-bearer,
 * CL-36…CL-40), on the one path every redemption takes, the first one and each one the MCP SDK makes
 * after a 401 or a 403 `insufficient_scope`: the SDK's `fetchToken` with the provider, whose
 * `prepareTokenRequest` gets the ID-JAG and returns `grant_type`, `assertion`, `resource` and `scope`,
 * whose `addClientAuthentication` authenticates as the client the ID-JAG names (CL-28, CL-37), and
 * whose `saveTokens` checks and keeps the token (CL-42). Follows no redirects (CL-50).
 *
 * Does NOT verify the access token: it is opaque to the client. Does NOT send DPoP proofs (CL-41
 * applies only to an ID-JAG with `cnf`, which this profile never asks for).
 * @throws {FlowError} carrying the authorization server's `error` code (e.g. `invalid_grant`), or the
 *   IdP's when the ID-JAG was refused first.
 */
export async function redeemIdJag(
  provider: IdJagOAuthClientProvider,
  options: RedeemIdJagOptions,
): Promise<AccessTokenResponse> {
  const noRedirects: typeof fetch = (input, init) => options.fetch(input, { ...init, redirect: 'manual' })
  let tokens: AccessTokenResponse
  try {
    // Our zod type checks a subset of RFC 8414; the SDK reads token_endpoint and the auth methods from it.
    tokens = await fetchToken(provider, options.authorizationServer.issuer, {
      metadata: options.authorizationServer as never,
      fetchFn: noRedirects,
    })
  } catch (error) {
    throw describeRefusal(error)
  }
  await provider.saveTokens(tokens)
  return tokens
}

/** The authorization server's refusal, as the SDK reports it, in plain words with its wire code. */
function describeRefusal(error: unknown): FlowError {
  if (error instanceof FlowError) return error
  if (error instanceof OAuthError) {
    const description = error.message === '' ? undefined : error.message
    return new FlowError(
      error.errorCode,
      `The MCP authorization server refused to issue an access token: ${description ?? error.errorCode}`,
      { description, cause: error, refusedBy: 'authorization_server' },
    )
  }
  // The SDK parses the response with its own zod: a schema failure is a malformed response.
  if (error instanceof Error && error.name === 'ZodError') {
    const issues = (error as Error & { issues?: Array<{ message?: string }> }).issues
    return new FlowError(
      'invalid_response',
      `The MCP authorization server returned a malformed token response: ${issues?.[0]?.message ?? 'invalid'}`,
      { cause: error },
    )
  }
  return asFlowError(error)
}
