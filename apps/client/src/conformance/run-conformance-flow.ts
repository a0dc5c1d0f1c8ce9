import { type StepRecorder, StepView } from '@ema/chain-steps'
import { redact } from '@ema/tokens'
import type { ClientRegistration } from '@ema/id-jag-client'
import type { PublicClientIdentification } from '@ema/id-jag-client'
import { callMcpTool } from '@ema/id-jag-client'
import { runChain } from '@ema/id-jag-client'
import type { ConformanceContext } from './conformance-context.ts'

/** The tool the conformance MCP server offers; called when listed. */
const CONFORMANCE_TOOL = 'test-tool'

export interface RunConformanceFlowOptions {
  /** The MCP server URL the suite passed as the last argument: the resource identifier (CL-03). */
  mcpServerUrl: string
  context: ConformanceContext
  fetch: typeof fetch
  /** Plain http is refused unless this is true, and even then only to loopback hosts (CL-48). */
  allowInsecureHttp: boolean
  record: StepRecorder
}

export interface ConformanceFlowResult {
  tools: string[]
  /** The tool that was called, if the server listed {@link CONFORMANCE_TOOL}. */
  calledTool: string | undefined
  /** `redact(access token)`: safe to print (CL-34). */
  accessTokenPreview: string
}

/**
 * Runs the whole Enterprise-Managed Authorization chain headlessly with the app's own `runChain`,
 * in the spec's order: protected resource metadata (CL-01…CL-03) → authorization server metadata
 * (CL-04…CL-07) → ID-JAG from the IdP with the context's ID token (CL-17…CL-25, CL-27) → access token
 * from the MCP authorization server with client_secret_basic (CL-36…CL-40) → MCP connection,
 * `tools/list` and `tools/call` (CL-12, CL-42).
 *
 * Does NOT sign a user in: the context carries the ID token. Does NOT fall back to the interactive
 * flow (CL-09). Every step goes to `record`; the first refusal throws a `FlowError`.
 */
export async function runConformanceFlow(options: RunConformanceFlowOptions): Promise<ConformanceFlowResult> {
  const { context, record } = options
  // CL-27 is conditional: the suite's IdP requires no client authentication and gives no secret.
  const idpClient: PublicClientIdentification = { clientId: context.idp_client_id, authMethod: 'none' }
  // CL-37: the registration whose client_id the IdP puts in the ID-JAG; the suite requires client_secret_basic.
  const authorizationServerClient: ClientRegistration = {
    clientId: context.client_id,
    clientSecret: context.client_secret,
    authMethod: 'client_secret_basic',
  }

  // No configured scope: the challenge's scope, else PRM scopes_supported, else none (the suite advertises none).
  const names = { idpName: 'Conformance IdP', serverName: 'conformance', mcpServerUrl: options.mcpServerUrl }
  const { connection, grantedScope, accessToken } = await runChain({
    mcpServer: { url: options.mcpServerUrl, name: names.serverName },
    idp: { name: names.idpName, endpoint: { tokenEndpoint: context.idp_token_endpoint } },
    client: { atIdp: idpClient, atAuthorizationServer: authorizationServerClient },
    subject: { token: context.idp_id_token },
    fetch: options.fetch,
    allowInsecureHttp: options.allowInsecureHttp,
    observers: { traffic: new StepView(names, record) },
  })
  try {
    const tools = connection.tools.map((tool) => tool.name)
    const calledTool = tools.includes(CONFORMANCE_TOOL) ? CONFORMANCE_TOOL : undefined
    if (calledTool !== undefined) {
      const result = await callMcpTool(connection, calledTool, {}, { grantedScope })
      if (result.isError === true) throw new Error(`the MCP server answered ${calledTool} with isError: true`)
    }
    return { tools, calledTool, accessTokenPreview: redact(accessToken.access_token) }
  } finally {
    await connection.close().catch(() => {})
  }
}
