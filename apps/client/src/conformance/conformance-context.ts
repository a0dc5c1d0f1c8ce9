import { z } from 'zod'

/** The one scenario this client implements. */
export const CONFORMANCE_SCENARIO = 'auth/cross-app-access-complete-flow'

/**
 * `MCP_CONFORMANCE_CONTEXT` of the MCP conformance suite's `auth/cross-app-access-complete-flow`
 * scenario, with its wire names. The suite plays the enterprise IdP, so it hands over what sign-in
 * would have produced: the user's ID token and the IdP's token endpoint (CL-10: the IdP is
 * configured, not discovered). It gives no IdP client secret, so the IdP registration is public
 * (`none`), and it does NOT give the authorization server: the client discovers it (CL-01).
 */
export const ConformanceContext = z.looseObject({
  name: z.string().optional(),
  /** The registration at the MCP authorization server (CL-37), used with client_secret_basic. */
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  /** The registration at the IdP, sent as `client_id` only (CL-27 is conditional). */
  idp_client_id: z.string().min(1),
  /** The subject token of the exchange (CL-24). A credential: never print it. */
  idp_id_token: z.string().min(1),
  idp_issuer: z.url(),
  idp_token_endpoint: z.url(),
})
export type ConformanceContext = z.infer<typeof ConformanceContext>

/**
 * Parses and validates the suite's context JSON and checks the scenario name.
 *
 * Does NOT check URL schemes: the flow functions refuse plain http except to loopback (CL-48).
 * @throws {Error} with a plain-words message naming the first bad member; never echoes values.
 */
export function parseConformanceContext(raw: string | undefined, scenario: string | undefined): ConformanceContext {
  if (scenario !== undefined && scenario !== CONFORMANCE_SCENARIO) {
    throw new Error(`scenario "${scenario}" is not supported; this client implements only ${CONFORMANCE_SCENARIO}`)
  }
  if (raw === undefined || raw.trim() === '') throw new Error('MCP_CONFORMANCE_CONTEXT is not set; run this client through the conformance suite')
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    throw new Error('MCP_CONFORMANCE_CONTEXT is not valid JSON')
  }
  const parsed = ConformanceContext.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue?.path.join('.') || '(root)'
    throw new Error(`MCP_CONFORMANCE_CONTEXT is invalid at ${where}: ${issue?.message ?? 'malformed'}`)
  }
  if (parsed.data.name !== undefined && parsed.data.name !== CONFORMANCE_SCENARIO) {
    throw new Error(`MCP_CONFORMANCE_CONTEXT is for scenario "${parsed.data.name}"; this client implements only ${CONFORMANCE_SCENARIO}`)
  }
  return parsed.data
}
