import { readDownstreamTrace } from '@ema/id-jag-client'
import { z } from 'zod'

const Actor: z.ZodType<{ sub?: string | undefined; act?: unknown }> = z.looseObject({
  sub: z.string().optional(),
  act: z.unknown().optional(),
})

/**
 * The second hop of a tool call in lines for a terminal: the MCP server's RFC 8693 on-behalf-of
 * exchange at the authorization server (request parameters as the server reports them, secrets and
 * the subject token already redacted there), the decoded downstream token with its `act` chain
 * (OBO-12, OBO-13: the outermost actor acts now), and the call to the Tasks API.
 *
 * Returns no lines when the result carries no trace (the server's MCP_TRACE_DOWNSTREAM is off) or one
 * this client cannot read. Does NOT verify anything: the claims are the server's report, for display.
 */
export function describeDownstreamTrace(meta: Record<string, unknown> | undefined): string[] {
  const trace = readDownstreamTrace(meta)
  if (trace === undefined) return []
  const { exchange, downstream_token_claims: claims, api } = trace
  const lines = ['second hop, as the MCP server reports it (MCP server → authorization server → Tasks API):']
  const request = exchange.request
  const outcome =
    exchange.cached === true
      ? 'a cached token, no request'
      : `${exchange.status ?? '?'}${exchange.error === undefined ? '' : ` ${exchange.error.error}`}`
  lines.push(
    `  RFC 8693 on-behalf-of exchange: ${request === undefined ? '' : `${request.method} ${request.url} (${request.client_authentication ?? 'client authentication not reported'}) → `}${outcome}`,
  )
  const params = request?.params
  if (params !== undefined) {
    const shown = ['audience', 'resource', 'scope', 'subject_token_type', 'requested_token_type'].filter(
      (name) => params[name] !== undefined,
    )
    lines.push(`    ${shown.map((name) => `${name}=${params[name]}`).join('  ')}`)
  }
  if (exchange.error?.error_description !== undefined) lines.push(`    ${exchange.error.error_description}`)
  if (claims !== undefined) {
    lines.push(
      `  downstream token: sub=${String(claims['sub'])}  aud=${String(claims['aud'])}  scope=${String(claims['scope'] ?? '')}`,
    )
    const actors = actorChain(claims['act'])
    if (actors.length > 0)
      lines.push(`    act: ${actors[0]} acts now${actors.length > 1 ? `, for ${actors.slice(1).join(', for ')}` : ''}`)
  }
  if (api !== undefined) {
    lines.push(
      `  Tasks API: ${api.method} ${api.url} → ${api.status ?? '?'}${api.error === undefined ? '' : ` ${api.error.error}${api.error.error_description === undefined ? '' : `: ${api.error.error_description}`}`}`,
    )
  }
  return lines
}

/** The `act` chain, outermost (current) actor first (RFC 8693 §4.1); at most 10 levels are shown. */
function actorChain(act: unknown): string[] {
  const chain: string[] = []
  let current = act
  while (chain.length < 10) {
    const parsed = Actor.safeParse(current)
    if (!parsed.success || parsed.data.sub === undefined) break
    chain.push(parsed.data.sub)
    current = parsed.data.act
  }
  return chain
}
