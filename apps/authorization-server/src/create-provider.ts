import Provider, { type AdapterFactory, type ClientMetadata, type Configuration } from 'oidc-provider'
import { GRANT_TYPE, type IssuerKeys, type ReplayStore, type SigningKey } from '@ema/tokens'
import type { Logger } from '@ema/server-kit'
import type { AuthorizationServerConfig, RegisteredClient } from './config.ts'
import { AUTHORIZATION_SERVER_METADATA, withoutAuthorizationEndpointMembers } from './authorization-server-metadata.ts'
import { assertClientAssertionAudience, answerAuthorizationDetailsRefusals, requireClientAuthentication } from '@ema/provider-kit'
import { JWT_BEARER_PARAMETERS, jwtBearerGrant } from './grants/jwt-bearer.ts'
import { TOKEN_EXCHANGE_PARAMETERS, TOKEN_EXCHANGE_REPEATABLE_PARAMETERS, tokenExchangeGrant } from './grants/token-exchange.ts'
import { certificateThumbprint, clientCertificate } from './mtls/client-certificate.ts'
import { describeMissingClientCertificate, mtlsClientAuthentication } from './mtls/mtls-client-authentication.ts'

export interface CreateProviderDeps {
  now: () => Date
  signingKey: SigningKey
  issuerKeys: IssuerKeys
  replayStore: ReplayStore
  /** Every key /jwks publishes, the signing key first. Default: the signing key alone. */
  publishedKeys?: readonly SigningKey[]
  /** oidc-provider's storage; absent → its in-process store. */
  adapter?: AdapterFactory
  log: Logger
}

/** AS-08, AS-10: the client authentication methods offered (none is not one of them: AS-09, OBO-07). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const
/** RFC 8705 §2.1: offered only when the mTLS endpoint alias is served. */
const MTLS_CLIENT_AUTH_METHOD = 'tls_client_auth'

/**
 * oidc-provider as an MCP authorization server: the token endpoint with client authentication,
 * discovery and JWKS come from it; the jwt-bearer grant is ours. Everything else is switched off.
 */
export function createProvider(config: AuthorizationServerConfig, deps: CreateProviderDeps): Provider {
  const tokenEndpointAlias = config.mtls === undefined ? undefined : `${config.mtls.url}${TOKEN_PATH}`
  const configuration: Configuration = {
    clients: config.clients.map(toClientMetadata),
    // oidc-provider requires an ID token algorithm it can sign with, even though no ID token is issued.
    clientDefaults: { id_token_signed_response_alg: deps.signingKey.alg },
    // Confidential server-side clients only: no browser may call the token endpoint cross-origin.
    clientBasedCORS: () => false,
    clientAuthMethods: config.mtls === undefined ? [...CLIENT_AUTH_METHODS] : [...CLIENT_AUTH_METHODS, MTLS_CLIENT_AUTH_METHOD],
    // AS-08, AS-10, SEC-07: a private_key_jwt client assertion's `aud` must be exactly this server's issuer,
    // as one string (RFC 7523bis, decision 0013); oidc-provider alone would also take the token endpoint
    // URL or an array.
    assertJwtClientAuthClaimsAndHeader: assertClientAssertionAudience,
    // `/jwks` publishes the public half of the key that signs our access tokens.
    // The signing key first, then the others, so that what they signed still verifies during a rotation.
    jwks: { keys: [deps.signingKey, ...(deps.publishedKeys ?? []).filter((key) => key.kid !== deps.signingKey.kid)].map((key) => key.privateJwk as NonNullable<Configuration['jwks']>['keys'][number]) },
    // Client-assertion jtis and the rest of oidc-provider's state: in Redis when configured (decision 0040).
    ...(deps.adapter === undefined ? {} : { adapter: deps.adapter }),
    // No authorization endpoint flows: no response type keeps authorization_code and implicit out of
    // grant_types_supported and makes response_types_supported `[]` (RFC 8414 §2 requires the member;
    // decision 0015); without offline_access there is no refresh_token grant (AS-38).
    responseTypes: [],
    scopes: [...new Set([...config.mcpServers.flatMap((server) => server.scopes), ...config.downstreamApis.flatMap((api) => api.scopes)])],
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false }, // the grant handles `resource` itself
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: false },
      // RFC 8705 §2.1: tls_client_auth at the mTLS endpoint alias, when it is served.
      ...(config.mtls === undefined ? {} : { mTLS: mtlsClientAuthentication() }),
    },
    discovery: {
      ...AUTHORIZATION_SERVER_METADATA,
      ...(tokenEndpointAlias === undefined ? {} : {
        mtls_endpoint_aliases: { token_endpoint: tokenEndpointAlias }, // RFC 8705 §5
        tls_client_certificate_bound_access_tokens: true, // RFC 8705 §3.3: tokens issued to tls_client_auth clients carry cnf
      }),
    },
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
  if (config.mtls !== undefined) provider.use(describeMissingClientCertificate(tokenEndpointAlias, deps.log)) // RFC 8705 §2
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
  provider.registerGrantType(
    GRANT_TYPE.TOKEN_EXCHANGE, // OBO-03
    tokenExchangeGrant({
      issuer: config.issuer,
      clients: config.clients,
      downstreamApis: config.downstreamApis,
      signingKey: deps.signingKey,
      verificationKeys: [deps.signingKey, ...(deps.publishedKeys ?? []).filter((key) => key.kid !== deps.signingKey.kid)],
      now: deps.now,
      clockSkewSeconds: config.clockSkewSeconds,
      accessTokenLifetimeSeconds: config.accessTokenLifetimeSeconds,
      maxDelegationDepth: config.maxDelegationDepth,
      clientCertificateThumbprint(ctx) {
        // RFC 8705 §3.1: bind the token to the certificate the client authenticated with.
        if (ctx.oidc.client.clientAuthMethod !== MTLS_CLIENT_AUTH_METHOD) return undefined
        const certificate = clientCertificate(ctx)
        return certificate === undefined ? undefined : certificateThumbprint(certificate)
      },
      log: deps.log,
    }),
    TOKEN_EXCHANGE_PARAMETERS,
    TOKEN_EXCHANGE_REPEATABLE_PARAMETERS, // OBO-05: audience and resource may repeat
  )
  return provider
}

/** oidc-provider's default `routes.token`. */
const TOKEN_PATH = '/token'

function toClientMetadata(client: RegisteredClient): ClientMetadata {
  return {
    client_id: client.client_id,
    ...(client.client_secret === undefined ? {} : { client_secret: client.client_secret }),
    ...(client.jwks === undefined ? {} : { jwks: client.jwks as ClientMetadata['jwks'] }),
    ...(client.jwks_uri === undefined ? {} : { jwks_uri: client.jwks_uri }),
    ...(client.tls_client_auth_subject_dn === undefined ? {} : { tls_client_auth_subject_dn: client.tls_client_auth_subject_dn }),
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    // Both grants for every client: the grants' own steps decide who may use them, with descriptions a
    // developer can act on (AS-16, OBO-10), where oidc-provider would answer a generic invalid_request.
    grant_types: [GRANT_TYPE.JWT_BEARER, GRANT_TYPE.TOKEN_EXCHANGE],
    response_types: [],
    redirect_uris: [],
  }
}
