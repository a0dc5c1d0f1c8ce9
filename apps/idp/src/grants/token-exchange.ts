import { refuseAuthorizationDetails, respondToGrant } from '@ema/provider-kit'
import type { Logger } from '@ema/server-kit'
import {
  InvalidGrantError,
  TOKEN_RESPONSE_TYPE,
  TOKEN_TYPE,
  UnauthorizedClientError,
  formatScope,
  signIdJag,
  type SigningKey,
} from '@ema/tokens'
import type { TokenEndpointGrantContext } from 'oidc-provider'
import { DEMO_EXPIRED_PARAMETER, type DirectoryUser, type IdpConfig, type RegisteredClient } from '../config.ts'
import { applyEnterprisePolicy } from './apply-enterprise-policy.ts'
import { resolveTarget, type Target } from './resolve-target.ts'
import { readTokenExchangeRequest, type TokenExchangeRequest } from './token-exchange-request.ts'
import { verifySubjectRefreshToken, type SubjectRefreshTokenClaims } from './verify-subject-refresh-token.ts'
import { verifySubjectToken } from './verify-subject-token.ts'

export interface TokenExchangeDeps {
  config: IdpConfig
  signingKey: SigningKey
  now: () => Date
  log: Logger
}

/** The RFC 8693 §2.2.1 success response as profiled by JAG §4.3.4 (IDP-29 … IDP-35). */
export interface IdJagTokenResponse {
  issued_token_type: typeof TOKEN_TYPE.ID_JAG
  access_token: string
  token_type: typeof TOKEN_RESPONSE_TYPE.N_A
  expires_in: number
  scope: string
}

/**
 * The token exchange grant (RFC 8693, JAG §4.3), registered with oidc-provider's
 * `registerGrantType`. oidc-provider has already authenticated the client (IDP-09, IDP-57:
 * a missing or wrong credential is a 401 `invalid_client` before we run). Every refusal here is an
 * OAuthError rendered by server-kit's one error renderer, never a 500 for bad input (IDP-51).
 */
export async function tokenExchangeGrant(ctx: TokenEndpointGrantContext, deps: TokenExchangeDeps): Promise<void> {
  // IDP-28: 200 JSON with no-store and Pragma, as in the JAG examples; refusals as RFC 6749 §5.2.
  await respondToGrant(
    ctx,
    () => deps.log,
    () => issueIdJag(ctx, deps),
  )
}

/** The processing rules of JAG §4.3.3, in order; the subject token is an ID token or a refresh token (IDP-04). */
async function issueIdJag(ctx: TokenEndpointGrantContext, deps: TokenExchangeDeps): Promise<IdJagTokenResponse> {
  const { config } = deps
  const now = deps.now()
  const request = readTokenExchangeRequest(ctx.oidc.params) // RFC 8693 §2.1, IDP-04, IDP-12
  refuseAuthorizationDetails(ctx.oidc.params) // IDP-18: RFC 9396 is knowingly unmet, so fail closed
  const client = requireConfidentialClient(ctx, config) // IDP-09 (oidc-provider authenticated it), IDP-10
  const subject = await verifySubject(ctx, request, client, deps, now) // IDP-05, IDP-06, IDP-07
  // IDP-05, IDP-23; IDP-08: the ID-JAG's subject claims come from the current directory record.
  const user = requireDirectoryUser(subject, config.users)
  const target = resolveTarget(request, config.authorizationServers) // IDP-03, IDP-14, IDP-15
  const scopes = applyEnterprisePolicy({
    // IDP-13, IDP-16, IDP-17
    organizationName: config.organizationName,
    user,
    mcpServer: target.mcpServer,
    requestedScope: request.scope,
    policy: config.policy,
  })
  const clientIdAtAuthorizationServer = mapClientId(client, target) // IDP-21
  const jti = crypto.randomUUID()
  const scope = formatScope(scopes)
  // Demo only (IDP_DEMO_ATTACKS=true): an ID-JAG issued as if 15 minutes ago has expired, as a kept one would have.
  const demoExpired =
    config.demoAttacks && (ctx.oidc.params as Record<string, unknown>)[DEMO_EXPIRED_PARAMETER] === 'true'
  const idJag = await signIdJag({
    // IDP-37 … IDP-48
    issuer: config.issuer, // IDP-39
    audience: target.authorizationServer.issuer, // IDP-41
    subject: user.sub, // IDP-40
    clientId: clientIdAtAuthorizationServer, // IDP-42
    resource: target.mcpServer.resource, // IDP-44
    scope, // IDP-19
    jti, // IDP-43
    expiresInSeconds: config.idJagLifetimeSeconds, // IDP-48
    now: demoExpired ? new Date(now.getTime() - 900_000) : now,
    key: deps.signingKey, // IDP-38
    extraClaims: authenticationContext(subject), // IDP-45
  })
  deps.log.info('issued ID-JAG', {
    jti,
    sub: user.sub,
    client_id: client.client_id,
    ras_client_id: clientIdAtAuthorizationServer,
    audience: target.authorizationServer.issuer,
    resource: target.mcpServer.resource,
    scope,
    ...(demoExpired ? { demo_expired: true } : {}),
  })
  return {
    issued_token_type: TOKEN_TYPE.ID_JAG, // IDP-29
    access_token: idJag, // IDP-30
    token_type: TOKEN_RESPONSE_TYPE.N_A, // IDP-31
    expires_in: config.idJagLifetimeSeconds, // IDP-34
    scope, // IDP-32: always sent, so a narrowed grant is visible
    // IDP-35: no refresh_token.
  }
}

/** IDP-10: only confidential clients may exchange tokens; public ones use the AS's own code flow. */
function requireConfidentialClient(ctx: TokenEndpointGrantContext, config: IdpConfig): RegisteredClient {
  const { client } = ctx.oidc
  const registered = config.clients.find((candidate) => candidate.client_id === client.clientId)
  if (
    registered === undefined ||
    client.clientAuthMethod === 'none' ||
    registered.token_endpoint_auth_method === 'none'
  ) {
    throw new UnauthorizedClientError(
      "public clients may not request ID-JAGs; use the authorization server's authorization code flow",
    )
  }
  return registered
}

/** The claims of the subject token that the grant uses, whichever kind it is. */
type SubjectClaims = SubjectRefreshTokenClaims

/** Verifies the subject token with the verifier for its `subject_token_type` (IDP-04, CL-25). */
async function verifySubject(
  ctx: TokenEndpointGrantContext,
  request: TokenExchangeRequest,
  client: RegisteredClient,
  deps: TokenExchangeDeps,
  now: Date,
): Promise<SubjectClaims> {
  switch (request.subject_token_type) {
    case TOKEN_TYPE.ID_TOKEN:
      return verifySubjectToken(request.subject_token, {
        // IDP-05, IDP-06
        issuer: deps.config.issuer,
        clientId: client.client_id,
        key: deps.signingKey,
        now,
        clockSkewSeconds: deps.config.clockSkewSeconds,
      })
    case TOKEN_TYPE.REFRESH_TOKEN:
      // IDP-07: validated as for a refresh_token grant, but neither consumed nor rotated.
      return verifySubjectRefreshToken(request.subject_token, {
        provider: ctx.oidc.provider,
        clientId: client.client_id,
      })
  }
}

/** The subject must still be a user of the directory (for a refresh token: its account still exists, IDP-07). */
function requireDirectoryUser(subject: SubjectClaims, users: readonly DirectoryUser[]): DirectoryUser {
  const user = users.find((candidate) => candidate.sub === subject.sub)
  if (user === undefined) throw new InvalidGrantError('the subject token names a user this IdP does not know')
  return user
}

/** IDP-21: the ID-JAG carries the client's identifier at the authorization server, not ours. */
function mapClientId(client: RegisteredClient, target: Target): string {
  const clientId = client.clientIdAtAuthorizationServer[target.authorizationServer.issuer]
  if (clientId === undefined) {
    throw new UnauthorizedClientError(
      `client ${client.client_id} has no client_id registered at ${target.authorizationServer.issuer}`,
    )
  }
  return clientId
}

/** IDP-45: carry how and when the user signed in, when the subject token says so. */
function authenticationContext(subject: SubjectClaims): Record<string, unknown> {
  const claims: Record<string, unknown> = {}
  if (subject.auth_time !== undefined) claims.auth_time = subject.auth_time
  if (subject.acr !== undefined) claims.acr = subject.acr
  if (subject.amr !== undefined) claims.amr = subject.amr
  return claims
}
