import type { TokenEndpointGrantContext } from 'oidc-provider'
import {
  InvalidRequestError,
  OAuthError,
  verifySubjectAccessToken,
  type RevocationStore,
  type SigningKey,
} from '@ema/tokens'
import { refuseAuthorizationDetails, respondToGrant } from '@ema/provider-kit'
import type { AuditLog, Logger } from '@ema/server-kit'
import type { DownstreamApi, RegisteredClient } from '../config.ts'
import { buildActorChain } from './build-actor-chain.ts'
import { grantDownstreamScope } from './grant-downstream-scope.ts'
import { issueDownstreamToken, type DownstreamTokenResponse } from './issue-downstream-token.ts'
import { readTokenExchangeRequest } from './read-token-exchange-request.ts'
import { requireConfidentialClient } from './require-confidential-client.ts'
import { requireMayAct } from './require-may-act.ts'
import { requireOnBehalfOfClient } from './require-on-behalf-of-client.ts'
import { resolveDownstreamApi } from './resolve-downstream-api.ts'

export { TOKEN_EXCHANGE_PARAMETERS, TOKEN_EXCHANGE_REPEATABLE_PARAMETERS } from './read-token-exchange-request.ts'

export interface TokenExchangeDeps {
  /** This server's issuer: the subject token's `iss` and the issued token's. */
  issuer: string
  clients: readonly RegisteredClient[]
  downstreamApis: readonly DownstreamApi[]
  /** Signs the issued token and verifies the subject token (this server's own access tokens only). */
  signingKey: SigningKey
  /** Every key this server publishes (rotation): a subject token signed by any of them verifies. Default: `signingKey`. */
  verificationKeys?: readonly SigningKey[]
  now: () => Date
  clockSkewSeconds: number
  accessTokenLifetimeSeconds: number
  maxDelegationDepth: number
  /** Decision 0060: a revoked subject token (RFC 7009) is refused. Absent → not checked. */
  revocationStore?: RevocationStore | undefined
  /** RFC 8705 §3.1: the `x5t#S256` of the certificate the client authenticated with, if it did. */
  clientCertificateThumbprint: (ctx: TokenEndpointGrantContext) => string | undefined
  log: Logger
  /** Every on-behalf-of exchange, granted or refused, is one audit event. Absent → none. */
  audit?: AuditLog | undefined
}

/**
 * The RFC 8693 token exchange for access-token subjects, in Auth0's on-behalf-of profile
 * (OBO-02 … OBO-16): an MCP server exchanges the access token it received for one addressed to a
 * downstream API, keeping the user and recording itself as the actor. Registered with
 * `provider.registerGrantType`; oidc-provider has parsed the form, refused duplicates (other than
 * `audience` and `resource`) and authenticated the client before this runs.
 *
 * Every refusal is one of our OAuthErrors, rendered by provider-kit's `respondToGrant`.
 */
export function tokenExchangeGrant(deps: TokenExchangeDeps): (ctx: TokenEndpointGrantContext) => Promise<void> {
  return async function handleTokenExchange(ctx) {
    let log = deps.log.child({ grant: 'token-exchange', client_id: ctx.oidc.client.clientId })
    const known: Record<string, unknown> = {}
    const bind = (fields: Record<string, unknown>) => {
      Object.assign(known, fields)
      log = log.child(fields)
    }
    // The subject token's jti links this event to the jwt-bearer event that issued it (access_token_jti).
    const audit = (decision: 'granted' | 'refused', extra: Record<string, unknown>) =>
      deps.audit?.record({
        event: 'on_behalf_of',
        decision,
        client_id: ctx.oidc.client.clientId,
        sub: known.sub,
        subject_jti: known.subject_jti,
        audience: known.audience,
        ...extra,
      })
    await respondToGrant(
      ctx,
      () => log,
      async () => {
        try {
          const response = await exchangeOnBehalfOf(ctx, deps, bind)
          log.info('issued a downstream access token on behalf of the user', {
            scope: response.scope,
            expires_in: response.expires_in,
          })
          audit('granted', { scope: response.scope })
          return response // OBO-15: 200, no-store
        } catch (error) {
          audit('refused', {
            error: error instanceof OAuthError ? error.error : 'server_error',
            error_description:
              error instanceof OAuthError ? error.description : 'the server could not complete the request',
          })
          throw error
        }
      },
    )
  }
}

async function exchangeOnBehalfOf(
  ctx: TokenEndpointGrantContext,
  deps: TokenExchangeDeps,
  bind: (fields: Record<string, unknown>) => void,
): Promise<DownstreamTokenResponse> {
  const now = deps.now()
  const request = readTokenExchangeRequest(ctx.oidc.params) // RFC 8693 §2.1, OBO-03 … OBO-08
  refuseAuthorizationDetails(ctx.oidc.params) // AS-28: RFC 9396 is knowingly unmet, so fail closed
  const authenticated = requireConfidentialClient(ctx.oidc.client, 'the on-behalf-of token exchange') // OBO-07
  const client = requireOnBehalfOfClient(authenticated, deps.clients) // OBO-10
  const subject = await verifySubjectAccessToken(request.subject_token, {
    // OBO-02, OBO-09
    issuer: deps.issuer,
    keys: deps.verificationKeys ?? [deps.signingKey],
    audience: client.mcpServer, // OBO-10: only tokens for the MCP server this client is tied to
    now,
    clockSkewSeconds: deps.clockSkewSeconds,
  })
  bind({ sub: subject.sub, subject_jti: subject.jti, subject_client_id: subject.client_id })
  if (await deps.revocationStore?.isRevoked(subject.jti)) {
    // Decision 0060: a revoked token buys no downstream token (a store that cannot answer: 503).
    throw new InvalidRequestError('the subject_token is not acceptable: it was revoked (RFC 7009)')
  }
  requireMayAct(subject, client, deps.issuer) // OBO-11
  const target = resolveDownstreamApi(request.audience, request.resource, deps.downstreamApis, client) // OBO-05, OBO-16
  bind({ audience: target.api.identifier })
  const scope = grantDownstreamScope(subject.scope, request.scope, target) // OBO-06, OBO-10
  const act = buildActorChain(subject, client, deps.maxDelegationDepth) // OBO-12, OBO-16
  const certificateThumbprint = deps.clientCertificateThumbprint(ctx)
  return issueDownstreamToken({
    // OBO-12, OBO-15
    issuer: deps.issuer,
    subject,
    client,
    api: target.api,
    scope,
    act,
    ...(certificateThumbprint === undefined ? {} : { certificateThumbprint }),
    maxLifetimeSeconds: deps.accessTokenLifetimeSeconds,
    now,
    key: deps.signingKey,
  })
}
