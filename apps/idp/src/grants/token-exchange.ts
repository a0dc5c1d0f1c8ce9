import { refuseAuthorizationDetails, respondToGrant } from '@ema/provider-kit'
import type { AuditLog, Logger } from '@ema/server-kit'
import {
  InvalidGrantError,
  OAuthError,
  TOKEN_RESPONSE_TYPE,
  TOKEN_TYPE,
  UnauthorizedClientError,
  formatScope,
  parseScope,
  signIdJag,
  type SigningKey,
} from '@ema/tokens'
import type { TokenEndpointGrantContext } from 'oidc-provider'
import type { DirectoryUser, IdpConfig, RegisteredClient } from '../config.ts'
import { DEMO_EXPIRED_PARAMETER } from '../demo-attack-world.ts'
import { decidePolicy } from '../policy/decide-policy.ts'
import type { PolicyStore } from '../policy/policy-store.ts'
import { enforcePolicyDecision, requireDefinedScopes } from './apply-enterprise-policy.ts'
import { resolveTarget, type Target } from './resolve-target.ts'
import { readTokenExchangeRequest, type TokenExchangeRequest } from './token-exchange-request.ts'
import { verifySubjectRefreshToken, type SubjectClaims } from './verify-subject-refresh-token.ts'
import { verifySubjectToken } from './verify-subject-token.ts'

export interface TokenExchangeDeps {
  config: IdpConfig
  signingKey: SigningKey
  now: () => Date
  log: Logger
  /** The administrator's policy in force; read at every exchange (IDP-13). */
  policy: PolicyStore
  /** Every exchange, granted or refused, is one audit event. */
  audit: AuditLog
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
  const record: ExchangeRecord = {}
  // IDP-28: 200 JSON with no-store and Pragma, as in the JAG examples; refusals as RFC 6749 §5.2.
  await respondToGrant(
    ctx,
    () => deps.log,
    async () => {
      try {
        const response = await issueIdJag(ctx, deps, record)
        deps.audit.record({ event: 'token_exchange', decision: 'granted', ...auditFields(ctx, record) })
        return response
      } catch (error) {
        const refusal = error instanceof OAuthError ? error : undefined
        deps.audit.record({
          event: 'token_exchange',
          decision: 'refused',
          ...auditFields(ctx, record),
          error: refusal?.error ?? 'server_error',
          error_description: refusal?.description ?? 'the server could not complete the request',
        })
        throw error
      }
    },
  )
}

/** What an exchange has established so far: the audit event of a refusal says how far it got. */
interface ExchangeRecord {
  jti?: string
  user?: DirectoryUser
  audience?: string
  resource?: string
  scopeRequested?: string
  scopeGranted?: string
  rule?: string
  explanation?: string
}

/** The audit event's fields (server-kit's shape): who, which client, for what, what was decided and by which rule. Never a token. */
function auditFields(ctx: TokenEndpointGrantContext, record: ExchangeRecord): Record<string, unknown> {
  const params = ctx.oidc.params ?? {}
  const text = (name: string) => (typeof params[name] === 'string' ? params[name] : undefined)
  return {
    jti: record.jti,
    user: record.user?.username,
    sub: record.user?.sub,
    client_id: ctx.oidc.client?.clientId,
    subject_token_type: text('subject_token_type'),
    audience: record.audience ?? text('audience'),
    resource: record.resource ?? text('resource'),
    scope_requested: record.scopeRequested ?? text('scope'),
    scope_granted: record.scopeGranted,
    rule: record.rule,
    explanation: record.explanation,
  }
}

/** The processing rules of JAG §4.3.3, in order; the subject token is an ID token or a refresh token (IDP-04). */
async function issueIdJag(
  ctx: TokenEndpointGrantContext,
  deps: TokenExchangeDeps,
  record: ExchangeRecord,
): Promise<IdJagTokenResponse> {
  const { config } = deps
  const now = deps.now()
  const request = readTokenExchangeRequest(ctx.oidc.params) // RFC 8693 §2.1, IDP-04, IDP-12
  record.scopeRequested = request.scope
  refuseAuthorizationDetails(ctx.oidc.params) // IDP-18: RFC 9396 is knowingly unmet, so fail closed
  const client = requireConfidentialClient(ctx, config) // IDP-09 (oidc-provider authenticated it), IDP-10
  const subject = await verifySubject(ctx, request, client, deps, now) // IDP-05, IDP-06, IDP-07
  // IDP-05, IDP-23; IDP-08: the ID-JAG's subject claims come from the current directory record.
  const user = requireDirectoryUser(subject, config.users)
  record.user = user
  const target = resolveTarget(request, config.authorizationServers) // IDP-03, IDP-14, IDP-15
  record.audience = target.authorizationServer.issuer
  record.resource = target.mcpServer.resource
  // IDP-16, RFC 6749 §5.2: scopes the MCP server does not define are narrowed away; none left → invalid_scope.
  const requestedScopes = requireDefinedScopes(
    request.scope === undefined ? [] : parseScope(request.scope),
    target.mcpServer,
  )
  // IDP-13 … IDP-17: the administrator's policy in force now (edits apply to the next exchange).
  // A shared store that cannot answer refuses the exchange (503), never decides on a stale copy (decision 0080).
  const decision = decidePolicy(await deps.policy.current(), {
    user,
    clientId: client.client_id,
    audience: target.authorizationServer.issuer,
    mcpServer: target.mcpServer,
    requestedScopes,
    authTime: subject.auth_time,
    now,
  })
  record.rule = decision.rule
  record.explanation = decision.explanation
  // IDP-55: access_denied naming the rule; IDP-20, IDP-56: insufficient_user_authentication for a stale sign-in.
  const scopes = enforcePolicyDecision(decision, {
    organizationName: config.organizationName,
    user,
    mcpServer: target.mcpServer,
    requestedScopes,
  })
  const clientIdAtAuthorizationServer = mapClientId(client, target) // IDP-21
  const jti = crypto.randomUUID()
  const scope = formatScope(scopes)
  // Demo only (IDP_DEMO_ATTACKS=true): an ID-JAG issued as if 15 minutes ago has expired, as a kept one would have.
  const demoExpired =
    config.demoAttacks && (ctx.oidc.params as Record<string, unknown>)[DEMO_EXPIRED_PARAMETER] === 'true'
  record.scopeGranted = scope
  const idJag = await signIdJag({
    // IDP-37 … IDP-48; SEC-06: these claims only, no profile claim of the ID token, no sub_id (SEC-18)
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
    rule: decision.rule,
  })
  record.jti = jti // only once the ID-JAG exists
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
