import * as oidc from 'openid-client'
import type { ClientRegistration } from './client-registration.ts'
import { FlowError } from './flow-error.ts'
import type { IdpTokenEndpoint } from './run-chain.ts'
import { openidClientAuthentication } from './openid-client-authentication.ts'

/** What discovery needs of the web app's or the agent's configuration. */
export interface IdpClientConfig {
  idpIssuer: string
  /** The IdP's display name in messages, from configuration. */
  idpName: string
  idpClient: ClientRegistration
  allowInsecureHttp: boolean
}

/**
 * The IdP's openid-client configuration for one registration: discovery of IDP_ISSUER, with client
 * authentication chosen from the discovery document (CL-27, CL-28). `redirectUri` is the
 * registration's redirect URI (the web app's, or the agent's loopback one), if it signs users in.
 *
 * Does NOT check that the IdP supports the token exchange: its answer to the exchange says so (CL-35).
 */
export async function discoverIdp(
  config: IdpClientConfig,
  fetchImpl: typeof fetch,
  redirectUri?: string,
): Promise<oidc.Configuration> {
  try {
    return await oidc.discovery(
      new URL(config.idpIssuer),
      config.idpClient.clientId,
      redirectUri === undefined ? {} : { redirect_uris: [redirectUri] },
      openidClientAuthentication(config.idpClient, config.idpName),
      {
        execute: config.allowInsecureHttp ? [oidc.allowInsecureRequests] : [], // CL-48
        [oidc.customFetch]: (url, options) => fetchImpl(url, options as RequestInit),
      },
    )
  } catch (cause) {
    const reason =
      cause instanceof Error
        ? cause.cause instanceof Error
          ? `${cause.message} (${cause.cause.message})`
          : cause.message
        : String(cause)
    throw new FlowError(
      'temporarily_unavailable',
      `Could not read ${config.idpName}'s discovery document at ${config.idpIssuer}: ${reason}`,
      { cause },
    )
  }
}

/** Where the token exchange goes, from the discovery document (CL-17). */
export function idpTokenEndpoint(idp: oidc.Configuration, idpName: string): IdpTokenEndpoint {
  const metadata = idp.serverMetadata()
  if (metadata.token_endpoint === undefined)
    throw new FlowError('invalid_idp_metadata', `${idpName} does not publish a token endpoint`)
  return {
    tokenEndpoint: metadata.token_endpoint,
    issuer: metadata.issuer,
    authMethodsSupported: metadata.token_endpoint_auth_methods_supported,
  }
}
