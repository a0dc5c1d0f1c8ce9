import { z } from 'zod'
import { InvalidRequestError } from '@ema/tokens'

/**
 * RFC 7523 §2.1, AS-07: the jwt-bearer token request, as this server reads it.
 * `resource` is the RFC 8707 parameter MCP core makes clients send (ambiguity 6).
 *
 * oidc-provider has already refused duplicated `grant_type`, `assertion`, `scope` and `resource`
 * parameters with `invalid_request` ("… parameter must not be provided twice"), so each value here
 * is single-valued; the schema still says so.
 */
export const JwtBearerTokenRequest = z.object({
  assertion: z
    .string({ error: 'the "assertion" parameter is required' })
    .min(1, 'the "assertion" parameter is required'),
  scope: z.string().optional(),
  resource: z.string().min(1, 'the "resource" parameter must not be empty').optional(),
})
export type JwtBearerTokenRequest = z.infer<typeof JwtBearerTokenRequest>

/** AS-07: a single, non-empty `assertion`; otherwise `invalid_request`. */
export function readJwtBearerRequest(params: Readonly<Record<string, unknown>>): JwtBearerTokenRequest {
  const parsed = JwtBearerTokenRequest.safeParse({
    assertion: params.assertion,
    scope: params.scope,
    resource: params.resource,
  })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidRequestError(issue?.message ?? 'the token request is malformed')
  }
  return parsed.data
}
