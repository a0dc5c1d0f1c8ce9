import { CLIENT_AUTH_METHOD, GRANT_TYPE, METADATA, TOKEN_TYPE, type SigningKey } from '@ema/tokens'
import type { AuditLog, Logger } from '@ema/server-kit'
import {
  assertClientAssertionAudience,
  answerAuthorizationDetailsRefusals,
  requireClientAuthentication,
} from '@ema/provider-kit'
import Provider, { type Account, type AdapterFactory, type ClientMetadata, type Configuration } from 'oidc-provider'
import type { IdpConfig, RegisteredClient } from './config.ts'
import { DEMO_EXPIRED_PARAMETER } from './demo-attack-world.ts'
import { defaultScope } from './default-scope.ts'
import { tokenExchangeGrant } from './grants/token-exchange.ts'
import { TOKEN_EXCHANGE_PARAMETERS } from './grants/token-exchange-request.ts'
import { ID_TOKEN_LIFETIME_SECONDS } from './grants/verify-subject-token.ts'
import { loadPreApprovedGrant } from './interactions/pre-approved-grant.ts'
import type { PolicyStore } from './policy/policy-store.ts'

export interface CreateProviderDeps {
  signingKey: SigningKey
  /** Every key /jwks publishes, the signing key first. Default: the signing key alone. */
  publishedKeys?: readonly SigningKey[]
  now: () => Date
  log: Logger
  /** oidc-provider's storage; absent → its in-process store. */
  adapter?: AdapterFactory
  policy: PolicyStore
  audit: AuditLog
}

/** Where oidc-provider sends the browser when it needs the user (see interactions/sign-in.ts). */
export function interactionPath(uid: string): string {
  return `/interaction/${uid}`
}

/**
 * The OpenID provider: authorization code + PKCE sign-in, ID tokens, discovery and JWKS are
 * oidc-provider's; the RFC 8693 token exchange that issues ID-JAGs is ours (grants/token-exchange.ts).
 */
export function createProvider(config: IdpConfig, deps: CreateProviderDeps): Provider {
  const configuration: Configuration = {
    clients: config.clients.map((client) => toClientMetadata(client, deps.signingKey)),
    // IDP-38: the same key signs ID tokens and ID-JAGs, so /jwks publishes the key that verifies both.
    // The signing key first (oidc-provider signs with the first key of the algorithm); the others are
    // published so that what they signed still verifies during a rotation.
    jwks: {
      keys: [deps.signingKey, ...(deps.publishedKeys ?? []).filter((key) => key.kid !== deps.signingKey.kid)].map(
        (key) => key.privateJwk,
      ),
    },
    // Sessions, interactions, grants, codes and refresh tokens: in Redis when configured (decision 0040).
    ...(deps.adapter === undefined ? {} : { adapter: deps.adapter }),
    cookies: { keys: config.cookieKeys },
    // IDP-09: the client authentication methods the token endpoint accepts. `none` exists only so that
    // public clients can sign users in; they are refused at the token exchange (IDP-10).
    clientAuthMethods: [
      CLIENT_AUTH_METHOD.CLIENT_SECRET_BASIC,
      CLIENT_AUTH_METHOD.CLIENT_SECRET_POST,
      CLIENT_AUTH_METHOD.PRIVATE_KEY_JWT,
      CLIENT_AUTH_METHOD.NONE,
    ],
    // IDP-09: a private_key_jwt client assertion's `aud` must be exactly this IdP's issuer, as one string
    // (RFC 7523bis, decision 0013); oidc-provider alone would also take the token endpoint URL or an array.
    assertJwtClientAuthClaimsAndHeader: assertClientAssertionAudience,
    responseTypes: ['code'], // authorization code flow only: no implicit, no hybrid
    pkce: { required: () => true }, // S256 is the only method oidc-provider 9 offers
    claims: {
      openid: ['sub', 'amr'], // amr: how the user signed in, carried into the ID-JAG (IDP-45)
      profile: ['name', 'preferred_username', 'groups'],
      email: ['email', 'email_verified'],
    },
    // Artifact lifetimes in seconds (oidc-provider asks for explicit values).
    ttl: {
      AuthorizationCode: 60,
      IdToken: ID_TOKEN_LIFETIME_SECONDS,
      AccessToken: 3600,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
      // Issued with offline_access (prompt=consent), and accepted as a token exchange subject token
      // (IDP-04, IDP-07); it cannot outlive the Grant it stands for.
      RefreshToken: 8 * 3600,
    },
    // Put the scopes' claims (name, email, groups) in the ID token, not only at /me.
    conformIdTokenClaims: false,
    findAccount: (_ctx, sub) => findAccount(config, sub),
    interactions: { url: (_ctx, interaction) => interactionPath(interaction.uid) },
    // The enterprise pre-approved its clients: no consent screen.
    loadExistingGrant: loadPreApprovedGrant,
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: { enabled: false },
    },
    // IDP-01: advertise that this IdP issues ID-JAGs via token exchange.
    discovery: {
      [METADATA.IDENTITY_CHAINING_REQUESTED_TOKEN_TYPES_SUPPORTED]: [TOKEN_TYPE.ID_JAG],
    },
  }
  const provider = new Provider(config.issuer, configuration)
  provider.use(requireClientAuthentication(deps.log)) // IDP-09, IDP-57
  provider.use(answerAuthorizationDetailsRefusals(deps.log)) // IDP-18: RFC 9396 is knowingly unmet, so fail closed
  provider.use(defaultScope(provider.pathFor('authorization'))) // RFC 6749 §3.3: no scope → openid
  // IDP-02: registering the grant also lists it in `grant_types_supported`.
  provider.registerGrantType(
    GRANT_TYPE.TOKEN_EXCHANGE,
    (ctx) =>
      tokenExchangeGrant(ctx, {
        config,
        signingKey: deps.signingKey,
        now: deps.now,
        log: deps.log,
        policy: deps.policy,
        audit: deps.audit,
      }),
    // DEMO_EXPIRED_PARAMETER only with IDP_DEMO_ATTACKS=true: otherwise stripped like any unknown one.
    config.demoAttacks ? [...TOKEN_EXCHANGE_PARAMETERS, DEMO_EXPIRED_PARAMETER] : TOKEN_EXCHANGE_PARAMETERS,
  )
  return provider
}

function toClientMetadata(client: RegisteredClient, key: SigningKey): ClientMetadata {
  const { clientIdAtAuthorizationServer: _mapping, ...metadata } = client
  return {
    ...metadata,
    grant_types: [GRANT_TYPE.AUTHORIZATION_CODE, GRANT_TYPE.REFRESH_TOKEN, GRANT_TYPE.TOKEN_EXCHANGE],
    response_types: ['code'],
    id_token_signed_response_alg: key.alg,
    require_auth_time: true, // so that auth_time can travel into the ID-JAG (IDP-45)
  }
}

function findAccount(config: IdpConfig, sub: string): Account | undefined {
  const user = config.users.find((candidate) => candidate.sub === sub)
  if (user === undefined) return undefined
  return {
    accountId: user.sub,
    claims: () => ({
      sub: user.sub,
      name: user.name,
      preferred_username: user.username,
      email: user.email,
      email_verified: true,
      groups: user.groups,
    }),
  }
}
