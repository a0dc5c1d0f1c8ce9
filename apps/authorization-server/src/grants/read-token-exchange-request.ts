import { z } from 'zod'
import { InvalidRequestError, TOKEN_TYPE } from '@ema/tokens'

/** A parameter that may be sent more than once (OBO-05: `audience` and `resource` may repeat). */
const OneOrMore = (name: string) =>
  z.preprocess(
    (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]),
    z.array(
      z
        .string({ error: `the "${name}" parameter must be a string` })
        .min(1, `the "${name}" parameter must not be empty`),
    ),
  )

/**
 * RFC 8693 §2.1 as profiled for the on-behalf-of exchange (OBO-03 … OBO-08): this server's own access
 * token in, an access token for a downstream API out. Wire names are kept.
 *
 * oidc-provider has already refused duplicated parameters other than `audience` and `resource`.
 */
export const TokenExchangeRequest = z.object({
  // OBO-03
  subject_token: z
    .string({ error: 'the "subject_token" parameter is required' })
    .min(1, 'the "subject_token" parameter is required'),
  subject_token_type: z.literal(TOKEN_TYPE.ACCESS_TOKEN, {
    error: `subject_token_type must be ${TOKEN_TYPE.ACCESS_TOKEN}: this authorization server exchanges only its own access tokens`,
  }),
  // OBO-04: optional (RFC 8693), but if sent it must ask for what is issued.
  requested_token_type: z
    .literal(TOKEN_TYPE.ACCESS_TOKEN, {
      error: `requested_token_type must be ${TOKEN_TYPE.ACCESS_TOKEN}: this exchange issues only access tokens`,
    })
    .optional(),
  // OBO-05
  audience: OneOrMore('audience'),
  resource: OneOrMore('resource'),
  // OBO-06
  scope: z.string().optional(),
  // OBO-08: the actor is the authenticated client (as at Auth0), so actor tokens are not taken.
  actor_token: z.undefined({ error: 'actor_token is not supported: the actor is the authenticated client' }),
  actor_token_type: z.undefined({ error: 'actor_token_type is not supported: the actor is the authenticated client' }),
})
export type TokenExchangeRequest = z.infer<typeof TokenExchangeRequest>

/** The parameters oidc-provider passes to this grant (everything else is stripped before the handler). */
export const TOKEN_EXCHANGE_PARAMETERS = [
  'subject_token',
  'subject_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
  'actor_token',
  'actor_token_type',
  'authorization_details', // only to refuse it (AS-28, knowingly unmet)
] as const

/** OBO-05: `audience` and `resource` may each be sent more than once. */
export const TOKEN_EXCHANGE_REPEATABLE_PARAMETERS = ['audience', 'resource'] as const

/**
 * Reads the token exchange request (RFC 8693 §2.1; OBO-03 … OBO-08).
 * @throws {InvalidRequestError} naming the first missing, malformed or unsupported parameter.
 */
export function readTokenExchangeRequest(params: Readonly<Record<string, unknown>>): TokenExchangeRequest {
  const parsed = TokenExchangeRequest.safeParse({
    subject_token: params.subject_token,
    subject_token_type: params.subject_token_type,
    requested_token_type: params.requested_token_type,
    audience: params.audience,
    resource: params.resource,
    scope: params.scope,
    actor_token: params.actor_token,
    actor_token_type: params.actor_token_type,
  })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidRequestError(issue?.message ?? 'the token exchange request is malformed')
  }
  return parsed.data
}
