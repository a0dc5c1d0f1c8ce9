import { z } from 'zod'

/** The `_meta` key under which an MCP server of this project reports a tool call's second hop. */
export const DOWNSTREAM_TRACE_KEY = 'io.ema/downstream'

const OAuthRefusal = z.object({ error: z.string(), error_description: z.string().optional() })

/**
 * What the Tasks MCP server reports of the second hop when its MCP_TRACE_DOWNSTREAM is on: the RFC 8693
 * on-behalf-of exchange as it sent it (secrets and the subject token redacted there), whether a cached
 * token was reused (OBO-17), the decoded claims of the downstream token (never the token), and the
 * call to the downstream API.
 */
export const DownstreamTrace = z.object({
  exchange: z.object({
    request: z
      .object({
        method: z.string(),
        url: z.string(),
        client_authentication: z.string().optional(),
        params: z.record(z.string(), z.string()).optional(),
      })
      .optional(),
    status: z.number().optional(),
    cached: z.boolean().optional(),
    error: OAuthRefusal.optional(),
  }),
  downstream_token_claims: z.record(z.string(), z.unknown()).optional(),
  api: z
    .object({ method: z.string(), url: z.string(), status: z.number().optional(), error: OAuthRefusal.optional() })
    .optional(),
})
export type DownstreamTrace = z.infer<typeof DownstreamTrace>

/**
 * The second-hop trace of a tool result's `_meta`, checked member by member (a server's words, for
 * display: never trusted).
 *
 * Does NOT verify anything the trace says; returns `undefined` when the result carries no trace (the
 * server's trace is off) or one that does not have this shape.
 */
export function readDownstreamTrace(meta: Record<string, unknown> | undefined): DownstreamTrace | undefined {
  const parsed = DownstreamTrace.safeParse(meta?.[DOWNSTREAM_TRACE_KEY])
  return parsed.success ? parsed.data : undefined
}
