import type { TokenEndpointGrantContext } from 'oidc-provider'
import {
  InvalidGrantError,
  OAuthError,
  redact,
  verifyIdJag,
  type IssuerKeys,
  type ReplayStore,
  type SigningKey,
} from '@ema/tokens'
import { refuseAuthorizationDetails, respondToGrant } from '@ema/provider-kit'
import type { AuditLog, Logger } from '@ema/server-kit'
import type { McpServer, TrustedIdp } from '../config.ts'
import { grantScope } from './grant-scope.ts'
import { issueAccessToken } from './issue-access-token.ts'
import { readJwtBearerRequest } from './read-jwt-bearer-request.ts'
import { requireConfidentialClient } from './require-confidential-client.ts'
import { requireNoAuthorizationDetails } from './require-no-authorization-details.ts'
import { requireRegisteredResource } from './require-registered-resource.ts'
import { requireSameClient } from './require-same-client.ts'
import { requireUnboundIdJag } from './require-unbound-id-jag.ts'
import { requireTrustedClientRelationship } from './require-trusted-client-relationship.ts'
import { resolveLocalSubject } from './resolve-local-subject.ts'

/** The parameters oidc-provider passes to this grant (everything else is stripped before the handler). */
export const JWT_BEARER_PARAMETERS = ['assertion', 'scope', 'resource', 'authorization_details'] as const

export interface JwtBearerDeps {
  /** This server's issuer: the required ID-JAG `aud` and the access token `iss`. */
  issuer: string
  /** Trusted IdPs and their key sets (AS-13, AS-16). */
  issuerKeys: IssuerKeys
  /** The trusted IdPs: their client relationships (AS-16) and subject namespaces (AS-19). */
  trustedIdps: readonly TrustedIdp[]
  mcpServers: readonly McpServer[]
  replayStore: ReplayStore
  signingKey: SigningKey
  now: () => Date
  clockSkewSeconds: number
  maxIdJagLifetimeSeconds: number
  accessTokenLifetimeSeconds: number
  log: Logger
  /** Every redemption, granted or refused (replays included), is one audit event. Absent → none. */
  audit?: AuditLog | undefined
}

/**
 * The RFC 7523 jwt-bearer grant for ID-JAGs (EMA-S §5, JAG §4.4), registered with
 * `provider.registerGrantType`. oidc-provider has parsed the form body, refused duplicated
 * parameters and authenticated the client before this runs.
 *
 * Every refusal is one of our OAuthErrors, rendered by provider-kit's `respondToGrant` so that the
 * wire body is exactly `{ error, error_description }`.
 */
export function jwtBearerGrant(deps: JwtBearerDeps): (ctx: TokenEndpointGrantContext) => Promise<void> {
  return async function handleJwtBearer(ctx) {
    let log = deps.log.child({ grant: 'jwt-bearer', client_id: ctx.oidc.client.clientId })
    const known: Record<string, unknown> = {}
    const bind = (fields: Record<string, unknown>) => {
      Object.assign(known, fields)
      log = log.child(fields)
    }
    await respondToGrant(
      ctx,
      () => log,
      async () => {
        try {
          const response = await redeemIdJag(ctx, deps, bind)
          log.info('issued an access token', {
            resource: response.resource,
            scope: response.scope,
            expires_in: response.expires_in,
          })
          deps.audit?.record({ event: 'jwt_bearer', decision: 'granted', ...auditFields(ctx, known) })
          return response // AS-35: 200, no-store
        } catch (error) {
          deps.audit?.record({
            event: 'jwt_bearer',
            decision: 'refused',
            ...auditFields(ctx, known),
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

async function redeemIdJag(
  ctx: TokenEndpointGrantContext,
  deps: JwtBearerDeps,
  bind: (fields: Record<string, unknown>) => void,
) {
  const now = deps.now()
  const request = readJwtBearerRequest(ctx.oidc.params) // RFC 7523 §2.1, AS-07
  refuseAuthorizationDetails(ctx.oidc.params) // AS-28: RFC 9396 is knowingly unmet, so fail closed
  bind({ id_jag: redact(request.assertion) })
  const client = requireConfidentialClient(ctx.oidc.client) // AS-08, AS-09
  const idJag = await verifyIdJag(request.assertion, {
    // AS-11 … AS-22
    issuerKeys: deps.issuerKeys,
    audience: deps.issuer,
    now,
    clockSkewSeconds: deps.clockSkewSeconds,
    maxLifetimeSeconds: deps.maxIdJagLifetimeSeconds,
  })
  bind({ jti: idJag.jti, iss: idJag.iss, sub: idJag.sub })
  requireSameClient(idJag, client) // AS-18
  requireUnboundIdJag(idJag) // AS-29 (b): key-bound ID-JAGs need DPoP, which is not offered here
  requireNoAuthorizationDetails(idJag) // AS-28: an ID-JAG's RFC 9396 grant is refused, never ignored
  const idp = requireTrustedClientRelationship(idJag, client, deps.trustedIdps) // AS-16
  const subject = resolveLocalSubject(idJag, idp) // AS-19, AS-40; SEC-18: from iss and sub, never sub_id
  bind({ local_sub: subject.sub })
  const server = requireRegisteredResource(idJag, request.resource, deps.mcpServers) // AS-24, AS-25, AS-32, SEC-10
  const scope = grantScope(idJag, request.scope, server) // AS-26, AS-27
  bind({ resource: server.resource, scope: scope.join(' ') })

  // AS-23: single use, recorded only after every other check passed, so that a refused request
  // cannot burn an ID-JAG. Kept until exp + skew: the longest time verifyIdJag would accept it.
  const firstUse = await deps.replayStore.markUsed(
    `${idJag.iss} ${idJag.jti}`,
    new Date((idJag.exp + deps.clockSkewSeconds) * 1000),
  )
  if (!firstUse) {
    bind({ replay: true }) // a replay detection, for the audit trail
    throw new InvalidGrantError('this ID-JAG was already used')
  }

  const accessTokenJti = crypto.randomUUID()
  bind({ access_token_jti: accessTokenJti })
  return issueAccessToken({
    // AS-35 … AS-40
    jti: accessTokenJti,
    issuer: deps.issuer,
    subject,
    client,
    server,
    scope,
    lifetimeSeconds: deps.accessTokenLifetimeSeconds,
    now,
    key: deps.signingKey,
  })
}

/**
 * The audit event's fields (server-kit's shape): the ID-JAG's `jti` (the IdP's audit event has the
 * same one), the access token's `jti` (the MCP server's tool-call events have it), who and for what.
 * Never the assertion.
 */
function auditFields(ctx: TokenEndpointGrantContext, known: Record<string, unknown>): Record<string, unknown> {
  return {
    jti: known.jti,
    access_token_jti: known.access_token_jti,
    client_id: ctx.oidc.client.clientId,
    idp: known.iss,
    sub: known.sub,
    local_sub: known.local_sub,
    resource: known.resource ?? (typeof ctx.oidc.params?.resource === 'string' ? ctx.oidc.params.resource : undefined),
    scope: known.scope,
    replay: known.replay,
  }
}
