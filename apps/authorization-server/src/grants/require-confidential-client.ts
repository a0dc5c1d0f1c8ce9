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
 * client that authenticated with `none`: JAG §9.1 supports this grant for confidential clients only.
 */
export function requireConfidentialClient(client: { clientId: string; clientAuthMethod?: string | undefined } | undefined): AuthenticatedClient {
  const authMethod = client?.clientAuthMethod
  if (client === undefined || authMethod === undefined || authMethod === 'none') {
    // AS-09: public clients may not redeem an ID-JAG.
    throw new UnauthorizedClientError('the jwt-bearer grant is available to confidential clients only')
  }
  return { clientId: client.clientId, authMethod }
}
