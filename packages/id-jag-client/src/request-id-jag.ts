import { GRANT_TYPE, TOKEN_RESPONSE_TYPE, TOKEN_TYPE } from '@ema/tokens'
import { z } from 'zod'
import type { TokenEndpointClient } from './client-authentication.ts'
import { FlowError } from './flow-error.ts'
import { postTokenRequest } from './post-token-request.ts'

/** JAG §4.3.4: the token exchange response carrying an ID-JAG. */
const IdJagResponse = z.looseObject({
  access_token: z.string().min(1),
  issued_token_type: z.string(),
  token_type: z.string(),
  expires_in: z.number().optional(),
  scope: z.string().optional(),
  refresh_token: z.string().optional(),
})

export interface RequestIdJagOptions {
  /** The IdP's token endpoint (from its discovery document). */
  tokenEndpoint: string
  /** The ID token from sign-in (CL-24), or the IdP refresh token when {@link subjectTokenType} says so (CL-45). */
  subjectToken: string
  /**
   * `id_token` (default, CL-25) or `refresh_token`: CL-45 lets a client whose ID token expired
   * present its IdP refresh token directly, where the IdP accepts it (IDP-04, IDP-07).
   */
  subjectTokenType?: 'id_token' | 'refresh_token'
  /** The MCP authorization server's issuer (CL-20). */
  audience: string
  /** The MCP server's resource identifier (CL-21). */
  resource: string
  /** Space-separated MCP server scopes (CL-22); omitted when empty. */
  scope?: string | undefined
  /** The client's registration at the IdP (CL-27), or a public identification where the IdP requires no authentication. */
  client: TokenEndpointClient
  /** The IdP's issuer: the audience of a `private_key_jwt` assertion (CL-28). */
  issuer?: string | undefined
  /** The IdP metadata's `token_endpoint_auth_methods_supported`, to choose the method (CL-27, CL-28). */
  authMethodsSupported?: readonly string[] | undefined
  /** The IdP's name in messages, from configuration; default "The IdP". */
  idpName?: string
  fetch: typeof fetch
  allowInsecureHttp: boolean
}

export interface IdJag {
  /** The ID-JAG itself (a credential: never log it or put it in a URL, CL-34). */
  assertion: string
  /** The granted scope: the response's `scope`, or the requested one when absent (CL-31). */
  scope: string | undefined
  expiresIn: number | undefined
}

/**
 * Asks the enterprise IdP for an ID-JAG with an RFC 8693 token exchange (CL-17…CL-25, CL-27):
 * `grant_type` token-exchange, `requested_token_type` id-jag, `audience` = the MCP authorization
 * server's issuer, `resource` = the MCP server, `scope`, `subject_token` = the ID token,
 * `subject_token_type` id_token (or refresh_token, CL-45); authenticated with the method chosen from the
 * registration and the IdP's metadata (CL-27, CL-28). No `actor_token` (CL-26).
 *
 * Checks the response (CL-30): `issued_token_type` id-jag, `token_type` N_A, an ID-JAG in
 * `access_token`, and no `refresh_token`.
 *
 * Does NOT verify the ID-JAG's signature: the client is not its audience (CL-32).
 * @throws {FlowError} carrying the IdP's `error` code (`access_denied`, `invalid_grant`, …; CL-35),
 *   with `refusedBy` = `idp`.
 */
export async function requestIdJag(options: RequestIdJagOptions): Promise<IdJag> {
  const idpName = options.idpName ?? 'The IdP'
  const params = new URLSearchParams({
    grant_type: GRANT_TYPE.TOKEN_EXCHANGE, // CL-18
    requested_token_type: TOKEN_TYPE.ID_JAG, // CL-19
    audience: options.audience, // CL-20
    resource: options.resource, // CL-21
  })
  if (options.scope !== undefined && options.scope !== '') params.set('scope', options.scope) // CL-22
  params.set('subject_token', options.subjectToken) // CL-24
  params.set(
    'subject_token_type',
    options.subjectTokenType === 'refresh_token' ? TOKEN_TYPE.REFRESH_TOKEN : TOKEN_TYPE.ID_TOKEN,
  ) // CL-25, CL-45

  // CL-17, CL-27: POST, form-encoded, client-authenticated; CL-35: a refusal keeps the IdP's code.
  const server = {
    name: idpName,
    tokenEndpoint: options.tokenEndpoint,
    issuer: options.issuer,
    authMethodsSupported: options.authMethodsSupported,
  }
  const body = await postTokenRequest(
    {
      server,
      role: 'idp',
      client: options.client,
      params,
      fetch: options.fetch,
      allowInsecureHttp: options.allowInsecureHttp,
    },
    'an ID-JAG',
  )

  const parsed = IdJagResponse.safeParse(body)
  if (!parsed.success)
    throw new FlowError(
      'invalid_response',
      `${idpName} returned a malformed token exchange response: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    )
  const response = parsed.data
  // CL-30: exactly an ID-JAG, typed N_A, and no refresh token.
  if (response.issued_token_type !== TOKEN_TYPE.ID_JAG) {
    throw new FlowError(
      'invalid_response',
      `${idpName} issued a token of type "${response.issued_token_type}" instead of an ID-JAG (${TOKEN_TYPE.ID_JAG}), so it was refused`,
    )
  }
  if (response.token_type.toUpperCase() !== TOKEN_RESPONSE_TYPE.N_A) {
    throw new FlowError(
      'invalid_response',
      `${idpName} returned token_type "${response.token_type}" instead of N_A, so the response was refused`,
    )
  }
  if (response.refresh_token !== undefined) {
    throw new FlowError(
      'invalid_response',
      `${idpName} returned a refresh token with the ID-JAG, which this profile does not expect, so the response was refused`,
    )
  }
  return { assertion: response.access_token, scope: response.scope ?? options.scope, expiresIn: response.expires_in }
}
