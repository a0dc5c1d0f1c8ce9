import Provider, {
  type Account,
  type AdapterFactory,
  type ClientMetadata,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider'
import {
  CLIENT_AUTH_METHOD,
  GRANT_TYPE,
  InMemoryRevocationStore,
  type IssuerKeys,
  type ReplayStore,
  type RevocationStore,
  type SigningKey,
} from '@ema/tokens'
import type { AuditLog, Logger } from '@ema/server-kit'
import { isInteractiveClient } from './client-kinds.ts'
import type { AuthorizationServerConfig, RegisteredClient } from './config.ts'
import { AUTHORIZATION_SERVER_METADATA } from './authorization-server-metadata.ts'
import { defaultScope } from './authorization/default-scope.ts'
import { mcpServerResourceIndicators } from './authorization/mcp-server-resource-indicators.ts'
import { renderAuthorizationErrorPage } from './interactions/consent-page.ts'
import { interactionPath } from './interactions/interaction-routes.ts'
import { answerUnregisteredGrantType } from './grants/answer-unregistered-grant-type.ts'
import { issueAuthorizationCodeAccessToken } from './grants/issue-authorization-code-access-token.ts'
import { findLocalSubject } from './grants/resolve-local-subject.ts'
import {
  assertClientAssertionAudience,
  answerAuthorizationDetailsRefusals,
  requireClientAuthentication,
} from '@ema/provider-kit'
import { JWT_BEARER_PARAMETERS, jwtBearerGrant } from './grants/jwt-bearer.ts'
import {
  TOKEN_EXCHANGE_PARAMETERS,
  TOKEN_EXCHANGE_REPEATABLE_PARAMETERS,
  tokenExchangeGrant,
} from './grants/token-exchange.ts'
import { certificateThumbprint, clientCertificate } from './mtls/client-certificate.ts'
import { describeMissingClientCertificate, mtlsClientAuthentication } from './mtls/mtls-client-authentication.ts'
import { INTROSPECTION_PATH, REVOCATION_PATH, revokeAndIntrospect } from './revocation/revoke-and-introspect.ts'

export interface CreateProviderDeps {
  now: () => Date
  signingKey: SigningKey
  issuerKeys: IssuerKeys
  replayStore: ReplayStore
  /** Revoked access tokens (RFC 7009, decision 0060). Default: a fresh in-memory store. */
  revocationStore?: RevocationStore
  /** Every key /jwks publishes, the signing key first. Default: the signing key alone. */
  publishedKeys?: readonly SigningKey[]
  /** oidc-provider's storage; absent → its in-process store. */
  adapter?: AdapterFactory
  log: Logger
  /** The audit trail: every redemption and on-behalf-of exchange. Absent → none. */
  audit?: AuditLog | undefined
}

/**
 * AS-08, AS-10: the client authentication methods offered. `none` is for public interactive clients
 * (authorization code + PKCE, SEC-14, decision 0050) only: the jwt-bearer grant (AS-09) and the token
 * exchange (OBO-07) refuse it, and no EMA client may register it (loadConfig).
 */
const CLIENT_AUTH_METHODS = [
  CLIENT_AUTH_METHOD.CLIENT_SECRET_BASIC,
  CLIENT_AUTH_METHOD.CLIENT_SECRET_POST,
  CLIENT_AUTH_METHOD.PRIVATE_KEY_JWT,
  CLIENT_AUTH_METHOD.NONE,
]

/** Lifetimes of oidc-provider's artifacts in the authorization code flow, in seconds (decision 0050). */
const TTL = {
  /** RFC 6749 §4.1.2: short-lived, single use. */
  AuthorizationCode: 60,
  /** Time to sign in at the IdP and answer the consent screen. */
  Interaction: 600,
  /** This server's sign-in session (SSO between authorization requests of the same browser). */
  Session: 3600,
  /** A remembered consent lives as long as the session. */
  Grant: 3600,
} as const
/** RFC 8705 §2.1: offered only when the mTLS endpoint alias is served. */
const MTLS_CLIENT_AUTH_METHOD = CLIENT_AUTH_METHOD.TLS_CLIENT_AUTH

/**
 * oidc-provider as an MCP authorization server: the token endpoint with client authentication,
 * discovery and JWKS come from it; the jwt-bearer grant is ours. Everything else is switched off.
 */
export function createProvider(config: AuthorizationServerConfig, deps: CreateProviderDeps): Provider {
  const tokenEndpointAlias = config.mtls === undefined ? undefined : `${config.mtls.url}${TOKEN_PATH}`
  const clientAuthMethods: NonNullable<Configuration['clientAuthMethods']> & string[] =
    config.mtls === undefined ? [...CLIENT_AUTH_METHODS] : [...CLIENT_AUTH_METHODS, MTLS_CLIENT_AUTH_METHOD]
  const revocationStore = deps.revocationStore ?? new InMemoryRevocationStore({ now: deps.now })
  const verificationKeys = [
    deps.signingKey,
    ...(deps.publishedKeys ?? []).filter((key) => key.kid !== deps.signingKey.kid),
  ]
  const configuration: Configuration = {
    clients: config.clients.map(toClientMetadata),
    // oidc-provider requires an ID token algorithm it can sign with, even though no ID token is issued.
    clientDefaults: { id_token_signed_response_alg: deps.signingKey.alg },
    // No browser may call the token endpoint cross-origin.
    clientBasedCORS: () => false,
    clientAuthMethods,
    // AS-08, AS-10, SEC-07: a private_key_jwt client assertion's `aud` must be exactly this server's issuer,
    // as one string (RFC 7523bis, decision 0013); oidc-provider alone would also take the token endpoint
    // URL or an array.
    assertJwtClientAuthClaimsAndHeader: assertClientAssertionAudience,
    // `/jwks` publishes the public half of the key that signs our access tokens.
    // The signing key first, then the others, so that what they signed still verifies during a rotation.
    jwks: {
      keys: [deps.signingKey, ...(deps.publishedKeys ?? []).filter((key) => key.kid !== deps.signingKey.kid)].map(
        (key) => key.privateJwk as NonNullable<Configuration['jwks']>['keys'][number],
      ),
    },
    // Client-assertion jtis and the rest of oidc-provider's state: in Redis when configured (decision 0040).
    ...(deps.adapter === undefined ? {} : { adapter: deps.adapter }),
    // Decision 0050: the authorization code flow (CL-09, SEC-14), PKCE required for every client; oidc-provider 9
    // offers S256 only (no `plain`). Without offline_access there is no refresh_token grant (AS-38, decision 0050).
    responseTypes: ['code'],
    pkce: { required: () => true },
    // SEC-08: redirect_uri always sent and matched exactly, even for a client with one registered URI.
    allowOmittingSingleRegisteredRedirectUri: false,
    // Not the IdP's names: both servers may share a host (localhost), and browsers do not tell cookies apart by port.
    cookies: {
      keys: config.cookieKeys,
      names: { session: '_as_session', interaction: '_as_interaction', resume: '_as_interaction_resume' },
    },
    ttl: { ...TTL, AccessToken: config.accessTokenLifetimeSeconds },
    interactions: { url: (_ctx, interaction) => interactionPath(interaction.uid) },
    // Decision 0060: RFC 7009 and RFC 7662 at short paths; revokeAndIntrospect handles our JWTs there.
    routes: { revocation: REVOCATION_PATH, introspection: INTROSPECTION_PATH },
    // AS-19: the accounts are the local subjects the sign-in resolved (`<subject_namespace>|<IdP sub>`).
    findAccount: (_ctx, sub) => findAccount(sub, config),
    scopes: [
      ...new Set([
        ...config.mcpServers.flatMap((server) => server.scopes),
        ...config.downstreamApis.flatMap((api) => api.scopes),
      ]),
    ],
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      // RFC 8707 for the authorization code flow; the custom grants handle `resource` themselves.
      resourceIndicators: mcpServerResourceIndicators(config.mcpServers, config.accessTokenLifetimeSeconds),
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: false },
      // SEC-09, decision 0060: the endpoints and their client authentication are oidc-provider's; it issues no
      // token of its own (every access token is our JWT), so its policies allow it nothing.
      revocation: { enabled: true, allowedPolicy: () => false },
      introspection: { enabled: true, allowedPolicy: () => false },
      // RFC 8705 §2.1: tls_client_auth at the mTLS endpoint alias, when it is served.
      ...(config.mtls === undefined ? {} : { mTLS: mtlsClientAuthentication() }),
    },
    discovery: {
      ...AUTHORIZATION_SERVER_METADATA,
      // RFC 8414 §2: the same methods as /token; introspection only for a client that authenticates (RFC 7662 §2.1).
      revocation_endpoint_auth_methods_supported: clientAuthMethods,
      introspection_endpoint_auth_methods_supported: clientAuthMethods.filter((method) => method !== 'none'),
      ...(tokenEndpointAlias === undefined || config.mtls === undefined
        ? {}
        : {
            // RFC 8705 §5
            mtls_endpoint_aliases: {
              token_endpoint: tokenEndpointAlias,
              revocation_endpoint: `${config.mtls.url}${REVOCATION_PATH}`,
              introspection_endpoint: `${config.mtls.url}${INTROSPECTION_PATH}`,
            },
            tls_client_certificate_bound_access_tokens: true, // RFC 8705 §3.3: tokens issued to tls_client_auth clients carry cnf
          }),
    },
    // Errors that cannot go to a redirect URI: an HTML page where a browser is (the authorization
    // endpoint and its resume), JSON everywhere else; never a stack trace.
    renderError(ctx, out) {
      if (isBrowserRoute(ctx)) {
        ctx.type = 'text/html'
        ctx.body = renderAuthorizationErrorPage({
          status: ctx.status,
          error: out.error,
          ...(out.error_description === undefined ? {} : { description: out.error_description }),
        })
        return
      }
      ctx.type = 'application/json'
      ctx.body = out
    },
  }
  const provider = new Provider(config.issuer, configuration)
  provider.use(requireClientAuthentication(deps.log)) // AS-08
  provider.use(answerAuthorizationDetailsRefusals(deps.log)) // AS-28: RFC 9396 is knowingly unmet, so fail closed
  provider.use(answerUnregisteredGrantType(deps.log)) // RFC 6749 §5.2 unauthorized_client
  provider.use(
    revokeAndIntrospect({
      issuer: config.issuer,
      clients: config.clients,
      audiences: [
        ...config.mcpServers.map((server) => server.resource),
        ...config.downstreamApis.map((api) => api.identifier),
      ],
      keys: verificationKeys,
      revocationStore,
      now: deps.now,
      clockSkewSeconds: config.clockSkewSeconds,
      log: deps.log,
      audit: deps.audit,
    }),
  ) // SEC-09, RFC 7009, RFC 7662 (decision 0060)
  provider.use(defaultScope(provider.pathFor('authorization'), config.mcpServers)) // RFC 6749 §3.3
  // Decision 0050: the authorization code flow's access token is ours, exactly like the jwt-bearer grant's.
  provider.use(
    issueAuthorizationCodeAccessToken({
      issuer: config.issuer,
      trustedIdps: config.trustedIdps,
      mcpServers: config.mcpServers,
      signingKey: deps.signingKey,
      accessTokenLifetimeSeconds: config.accessTokenLifetimeSeconds,
      now: deps.now,
      log: deps.log,
    }),
  )
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
      audit: deps.audit,
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
      verificationKeys,
      now: deps.now,
      clockSkewSeconds: config.clockSkewSeconds,
      accessTokenLifetimeSeconds: config.accessTokenLifetimeSeconds,
      maxDelegationDepth: config.maxDelegationDepth,
      revocationStore, // decision 0060
      clientCertificateThumbprint(ctx) {
        // RFC 8705 §3.1: bind the token to the certificate the client authenticated with.
        if (ctx.oidc.client.clientAuthMethod !== MTLS_CLIENT_AUTH_METHOD) return undefined
        const certificate = clientCertificate(ctx)
        return certificate === undefined ? undefined : certificateThumbprint(certificate)
      },
      log: deps.log,
      audit: deps.audit,
    }),
    TOKEN_EXCHANGE_PARAMETERS,
    TOKEN_EXCHANGE_REPEATABLE_PARAMETERS, // OBO-05: audience and resource may repeat
  )
  return provider
}

/** oidc-provider's default `routes.token`. */
const TOKEN_PATH = '/token'

function toClientMetadata(client: RegisteredClient): ClientMetadata {
  const credentials = {
    client_id: client.client_id,
    ...(client.client_secret === undefined ? {} : { client_secret: client.client_secret }),
    ...(client.jwks === undefined ? {} : { jwks: client.jwks as ClientMetadata['jwks'] }),
    ...(client.jwks_uri === undefined ? {} : { jwks_uri: client.jwks_uri }),
    ...(client.tls_client_auth_subject_dn === undefined
      ? {}
      : { tls_client_auth_subject_dn: client.tls_client_auth_subject_dn }),
    token_endpoint_auth_method: client.token_endpoint_auth_method,
  }
  if (isInteractiveClient(client)) {
    // Decision 0050: an interactive registration has the authorization code flow, and nothing else.
    return {
      ...credentials,
      grant_types: [GRANT_TYPE.AUTHORIZATION_CODE],
      response_types: ['code'],
      redirect_uris: client.redirect_uris ?? [],
      ...(client.application_type === undefined ? {} : { application_type: client.application_type }),
      ...(client.client_name === undefined ? {} : { client_name: client.client_name }),
    }
  }
  return {
    ...credentials,
    // Both grants for every EMA client: the grants' own steps decide who may use them, with descriptions a
    // developer can act on (AS-16, OBO-10), where oidc-provider would answer a generic invalid_request.
    grant_types: [GRANT_TYPE.JWT_BEARER, GRANT_TYPE.TOKEN_EXCHANGE],
    response_types: [],
    redirect_uris: [],
  }
}

/** AS-19: an account is a local subject of a trusted IdP; nothing else is stored about the user. */
function findAccount(sub: string, config: AuthorizationServerConfig): Account | undefined {
  if (findLocalSubject(sub, config.trustedIdps) === undefined) return undefined
  return { accountId: sub, claims: () => ({ sub }) }
}

/** The routes a browser is sent to: the authorization endpoint and oidc-provider's resume after an interaction. */
function isBrowserRoute(ctx: KoaContextWithOIDC): boolean {
  const route = (ctx.oidc as KoaContextWithOIDC['oidc'] | undefined)?.route
  return route === 'authorization' || route === 'resume'
}
