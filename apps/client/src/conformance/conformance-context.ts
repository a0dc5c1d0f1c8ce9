import { z } from 'zod'

/**
 * `MCP_CONFORMANCE_CONTEXT` of the MCP conformance suite's Enterprise-Managed Authorization scenario
 * (`auth/enterprise-managed-authorization` since 0.2.0, `auth/cross-app-access-complete-flow` before),
 * with its wire names. The suite plays the enterprise IdP, so it hands over what sign-in would have
 * produced: the user's ID token and the IdP's token endpoint (CL-10: the IdP is configured, not
 * discovered). It gives no IdP client secret, so the IdP registration is public (`none`), and it does
 * NOT give the authorization server: the client discovers it (CL-01).
 *
 * This shape, not the scenario's name, is what tells this client that it is being asked to run the
 * chain: the suite renames scenarios between releases, and the context is what the flow needs.
 */
export const ConformanceContext = z.looseObject({
  /** The scenario, as the suite names it (it sets `name` in every context it passes). */
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

/** The members a context must carry for this client to run the chain. */
const REQUIRED_MEMBERS = [
  'client_id',
  'client_secret',
  'idp_client_id',
  'idp_id_token',
  'idp_issuer',
  'idp_token_endpoint',
] as const

/**
 * Parses and validates the suite's context JSON. Whatever the scenario is called (`scenario`, from
 * `MCP_CONFORMANCE_SCENARIO`, is only named in messages), a context with the Enterprise-Managed
 * Authorization members runs the chain, and any other context is refused.
 *
 * Does NOT check URL schemes: the flow functions refuse plain http except to loopback (CL-48).
 * @throws {Error} with a plain-words message naming the first bad or missing member; never echoes values.
 */
export function parseConformanceContext(raw: string | undefined, scenario: string | undefined): ConformanceContext {
  const named = scenario === undefined ? 'this scenario' : `scenario "${scenario}"`
  if (raw === undefined || raw.trim() === '') {
    throw new Error(
      `MCP_CONFORMANCE_CONTEXT is not set for ${named}; this client runs only scenarios that hand over an Enterprise-Managed Authorization context (${REQUIRED_MEMBERS.join(', ')})`,
    )
  }
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    throw new Error('MCP_CONFORMANCE_CONTEXT is not valid JSON')
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error('MCP_CONFORMANCE_CONTEXT is not a JSON object')
  const missing = REQUIRED_MEMBERS.filter((member) => !(member in json))
  if (missing.length > 0) {
    const contextName = 'name' in json && typeof json.name === 'string' ? `scenario "${json.name}"` : named
    throw new Error(
      `the context of ${contextName} lacks ${missing.join(', ')}: it is not an Enterprise-Managed Authorization context, the only kind this client runs`,
    )
  }
  const parsed = ConformanceContext.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue?.path.join('.') || '(root)'
    throw new Error(`MCP_CONFORMANCE_CONTEXT is invalid at ${where}: ${issue?.message ?? 'malformed'}`)
  }
  return parsed.data
}
