import type { ClientRegistration } from '../config.ts'

/**
 * Adds client authentication to a token request (RFC 6749 §2.3.1), as the registration says:
 * `client_secret_basic` (HTTP Basic with the form-urlencoded id and secret) or `client_secret_post`
 * (`client_id` and `client_secret` in the body). CL-27, CL-37.
 *
 * CL-28 recommends `private_key_jwt`; not implemented here yet (see README).
 */
export function applyClientAuthentication(client: ClientRegistration, headers: Headers, params: URLSearchParams): void {
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
