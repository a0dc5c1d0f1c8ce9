import type { ClientRegistration } from '../config.ts'

/**
 * A client that identifies itself at a token endpoint without authenticating: RFC 7591 §2
 * `token_endpoint_auth_method` `none` (a public client). Only `client_id` is sent, in the body.
 * Used where the token endpoint does not require client authentication (CL-27 is conditional), e.g.
 * the conformance suite's IdP, which gives the client no IdP secret.
 */
export interface PublicClientIdentification {
  clientId: string
  authMethod: 'none'
}

/** Who the client is at a token endpoint: a registration with a secret, or a public identification. */
export type TokenEndpointClient = ClientRegistration | PublicClientIdentification

/**
 * Adds client authentication to a token request (RFC 6749 §2.3.1), as the registration says:
 * `client_secret_basic` (HTTP Basic with the form-urlencoded id and secret), `client_secret_post`
 * (`client_id` and `client_secret` in the body), or `none` (`client_id` in the body, no secret and
 * no Authorization header; CL-27 requires authentication only where the IdP requires it). CL-27, CL-37.
 *
 * CL-28 recommends `private_key_jwt`; not implemented here yet (see README).
 */
export function applyClientAuthentication(client: TokenEndpointClient, headers: Headers, params: URLSearchParams): void {
  if (client.authMethod === 'none') {
    // RFC 7591 §2 `none`: identify, never authenticate; make sure no credential slips through.
    headers.delete('authorization')
    params.delete('client_secret')
    params.set('client_id', client.clientId)
    return
  }
  if (client.authMethod === 'client_secret_basic') {
    const credentials = `${formEncode(client.clientId)}:${formEncode(client.clientSecret)}`
    headers.set('authorization', `Basic ${Buffer.from(credentials).toString('base64')}`)
    params.delete('client_secret')
    return
  }
  params.set('client_id', client.clientId)
  params.set('client_secret', client.clientSecret)
}

/** RFC 6749 §2.3.1 / Appendix B: application/x-www-form-urlencoded, space as `+`. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}
