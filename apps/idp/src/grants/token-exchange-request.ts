import { GRANT_TYPE, InvalidRequestError, TOKEN_TYPE } from '@ema/tokens'
import { z } from 'zod'

/**
 * The RFC 8693 §2.1 token exchange request as profiled by JAG §4.3 (ID token or refresh token in,
 * ID-JAG out). Wire names are kept.
 */
export const TokenExchangeRequest = z.object({
  grant_type: z.literal(GRANT_TYPE.TOKEN_EXCHANGE),
  // JAG §4.3, CL-19: this IdP issues only ID-JAGs, whatever the subject token.
  requested_token_type: z.literal(TOKEN_TYPE.ID_JAG, {
    error: `requested_token_type must be ${TOKEN_TYPE.ID_JAG}; this IdP exchanges tokens only for ID-JAGs`,
  }),
  // IDP-04, CL-25: ID tokens are the identity assertions accepted here (no SAML); this IdP's own
  // refresh tokens are accepted too (IDP-07, CL-24, CL-45). The type must match the token: an ID
  // token presented as a refresh token, or the reverse, fails its verifier.
  subject_token_type: z.enum([TOKEN_TYPE.ID_TOKEN, TOKEN_TYPE.REFRESH_TOKEN], {
    error: `subject_token_type must be ${TOKEN_TYPE.ID_TOKEN} or ${TOKEN_TYPE.REFRESH_TOKEN}; only ID tokens and refresh tokens issued by this IdP are accepted`,
  }),
  subject_token: z.string({ error: 'subject_token is required' }).min(1, 'subject_token is required'),
  // IDP-03: the authorization server's issuer identifier.
  audience: z
    .string({ error: 'audience is required: name the MCP authorization server' })
    .min(1, 'audience is required: name the MCP authorization server'),
  resource: z.string().min(1, 'resource must not be empty').optional(),
  scope: z.string().optional(),
  // IDP-12 (REC): actor tokens are not defined by the MCP profile, so they are refused.
  actor_token: z.undefined({ error: 'actor_token is not supported by this IdP' }),
  actor_token_type: z.undefined({ error: 'actor_token_type is not supported by this IdP' }),
})
export type TokenExchangeRequest = z.infer<typeof TokenExchangeRequest>

/** The parameters oidc-provider passes through to the grant (anything else is stripped). */
export const TOKEN_EXCHANGE_PARAMETERS = [
  'requested_token_type',
  'subject_token',
  'subject_token_type',
  'audience',
  'resource',
  'scope',
  'actor_token',
  'actor_token_type',
  'authorization_details', // only to refuse it (IDP-18, knowingly unmet)
] as const

/**
 * Reads the token exchange parameters (RFC 8693 §2.1, JAG §4.3).
 * @throws {InvalidRequestError} naming the first missing, malformed or unsupported parameter.
 */
export function readTokenExchangeRequest(params: unknown): TokenExchangeRequest {
  const parsed = TokenExchangeRequest.safeParse(params)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `
    const message = issue?.message ?? 'malformed token exchange request'
    throw new InvalidRequestError(message.includes(String(issue?.path[0])) ? message : `${where}${message}`)
  }
  return parsed.data
}
