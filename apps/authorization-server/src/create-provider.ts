import Provider, { type ClientMetadata, type Configuration } from 'oidc-provider'
import { GRANT_TYPE, type IssuerKeys, type ReplayStore, type SigningKey } from '@ema/tokens'
import type { Logger } from '@ema/server-kit'
import type { AuthorizationServerConfig, RegisteredClient } from './config.ts'
import { AUTHORIZATION_SERVER_METADATA, withoutAuthorizationEndpointMembers } from './authorization-server-metadata.ts'
import { assertClientAssertionAudience, answerAuthorizationDetailsRefusals, requireClientAuthentication } from '@ema/provider-kit'
import { JWT_BEARER_PARAMETERS, jwtBearerGrant } from './grants/jwt-bearer.ts'

export interface CreateProviderDeps {
  now: () => Date
  signingKey: SigningKey
  issuerKeys: IssuerKeys
  replayStore: ReplayStore
  log: Logger
}

/** AS-08, AS-10: the client authentication methods offered (none is not one of them: AS-09). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const

/**
 * oidc-provider as an MCP authorization server: the token endpoint with client authentication,
 * discovery and JWKS come from it; the jwt-bearer grant is ours. Everything else is switched off.
 */
export function createProvider(config: AuthorizationServerConfig, deps: CreateProviderDeps): Provider {
  const configuration: Configuration = {
    clients: config.clients.map(toClientMetadata),
    // oidc-provider requires an ID token algorithm it can sign with, even though no ID token is issued.
    clientDefaults: { id_token_signed_response_alg: deps.signingKey.alg },
    // Confidential server-side clients only: no browser may call the token endpoint cross-origin.
    clientBasedCORS: () => false,
    clientAuthMethods: [...CLIENT_AUTH_METHODS],
    // AS-08, AS-10, SEC-07: a private_key_jwt client assertion's `aud` must be exactly this server's issuer,
    // as one string (RFC 7523bis, decision 0013); oidc-provider alone would also take the token endpoint
    // URL or an array.
    assertJwtClientAuthClaimsAndHeader: assertClientAssertionAudience,
    // `/jwks` publishes the public half of the key that signs our access tokens.
    jwks: { keys: [deps.signingKey.privateJwk as NonNullable<Configuration['jwks']>['keys'][number]] },
    // No authorization endpoint flows: no response type keeps authorization_code and implicit out of
    // grant_types_supported and makes response_types_supported `[]` (RFC 8414 §2 requires the member;
    // decision 0015); without offline_access there is no refresh_token grant (AS-38).
    responseTypes: [],
    scopes: [...new Set(config.mcpServers.flatMap((server) => server.scopes))],
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false }, // the grant handles `resource` itself
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: false },
    },
    discovery: { ...AUTHORIZATION_SERVER_METADATA },
    // Never an HTML page: errors at every endpoint are JSON.
    renderError(ctx, out) {
      ctx.type = 'application/json'
      ctx.body = out
    },
  }
  const provider = new Provider(config.issuer, configuration)
  provider.use(requireClientAuthentication(deps.log)) // AS-08
  provider.use(answerAuthorizationDetailsRefusals(deps.log)) // AS-28: RFC 9396 is knowingly unmet, so fail closed
  provider.use(withoutAuthorizationEndpointMembers()) // AS-01, decision 0015
  provider.registerGrantType(
    GRANT_TYPE.JWT_BEARER,
    jwtBearerGrant({
      issuer: config.issuer,
      issuerKeys: deps.issuerKeys,
      trustedIdps: config.trustedIdps,
      mcpServers: config.mcpServers,
      replayStore: deps.replayStore,
      signingKey: deps.signingKey,
      now: deps.now,
      clockSkewSeconds: config.clockSkewSeconds,
      maxIdJagLifetimeSeconds: config.maxIdJagLifetimeSeconds,
      accessTokenLifetimeSeconds: config.accessTokenLifetimeSeconds,
      log: deps.log,
    }),
    JWT_BEARER_PARAMETERS,
  )
  return provider
}

function toClientMetadata(client: RegisteredClient): ClientMetadata {
  return {
    client_id: client.client_id,
    ...(client.client_secret === undefined ? {} : { client_secret: client.client_secret }),
    ...(client.jwks === undefined ? {} : { jwks: client.jwks as ClientMetadata['jwks'] }),
    ...(client.jwks_uri === undefined ? {} : { jwks_uri: client.jwks_uri }),
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    grant_types: [GRANT_TYPE.JWT_BEARER],
    response_types: [],
    redirect_uris: [],
  }
}
