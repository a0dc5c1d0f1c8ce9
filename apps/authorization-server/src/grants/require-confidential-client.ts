import { UnauthorizedClientError } from '@ema/tokens'

/** The client as oidc-provider authenticated it. */
export interface AuthenticatedClient {
  clientId: string
  /** The registered token_endpoint_auth_method that oidc-provider just enforced. */
  authMethod: string
}

/**
 * AS-08, AS-09: oidc-provider has already authenticated the client with its registered method
 * (a failure never reaches the grant handler: it is a 401 `invalid_client`). This step refuses a
 * client that authenticated with `none`: JAG §9.1 supports the jwt-bearer grant for confidential
 * clients only, and RFC 8693 §5 / OBO-07 the token exchange too (a stolen token must not be
 * exchangeable by whoever holds it).
 */
export function requireConfidentialClient(
  client: { clientId: string; clientAuthMethod?: string | undefined } | undefined,
  grant = 'the jwt-bearer grant',
): AuthenticatedClient {
  const authMethod = client?.clientAuthMethod
  if (client === undefined || authMethod === undefined || authMethod === 'none') {
    // AS-09: public clients may not redeem an ID-JAG. OBO-07: nor exchange an access token.
    throw new UnauthorizedClientError(`${grant} is available to confidential clients only`)
  }
  return { clientId: client.clientId, authMethod }
}
