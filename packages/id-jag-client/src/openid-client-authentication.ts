import type * as oidc from 'openid-client'
import type { ClientRegistration } from './client-registration.ts'
import { applyClientAuthentication } from './client-authentication.ts'

/**
 * Client authentication for openid-client's own token requests at the IdP (the authorization code
 * grant at sign-in), done by this app's `applyClientAuthentication`. So sign-in and the token exchange
 * choose the method the same way: from the registration and the IdP's discovery document, with
 * `private_key_jwt` first when the registration holds a key (CL-27, CL-28).
 *
 * Does NOT support `none`: sign-in uses a confidential registration.
 */
export function openidClientAuthentication(client: ClientRegistration, idpName: string): oidc.ClientAuth {
  return async (as, _client, body, headers) => {
    await applyClientAuthentication(
      client,
      {
        name: idpName,
        tokenEndpoint: as.token_endpoint ?? as.issuer,
        issuer: as.issuer,
        authMethodsSupported: as.token_endpoint_auth_methods_supported,
      },
      headers,
      body,
    )
  }
}
