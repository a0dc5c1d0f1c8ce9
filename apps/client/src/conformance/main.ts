// Headless entry for the MCP conformance suite (`conformance client --command ...`): the suite appends
// the MCP server URL as the last argument and passes the scenario context in the environment.
// Like main.ts, this is an entry file: the only file under src/conformance/ that reads process.env.
import { assertTrustworthyUrl } from '@ema/tokens'
import { asFlowError } from '@ema/id-jag-client'
import { parseConformanceContext } from './conformance-context.ts'
import { formatStepLine } from '@ema/chain-steps'
import { runConformanceFlow } from './run-conformance-flow.ts'

const log = (line: string) => process.stderr.write(`[conformance-client] ${line}\n`)

// CL-48: the suite serves every role on localhost over plain http. Allowed to loopback hosts only
// (assertTrustworthyUrl refuses http anywhere else), and said out loud.
const allowInsecureHttp = true

try {
  const mcpServerUrl = process.argv.at(-1)
  if (mcpServerUrl === undefined || process.argv.length < 3)
    throw new Error('usage: node src/conformance/main.ts <mcp-server-url>')
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO
  // The context's shape, not the scenario's name, decides whether this client can run it.
  const context = parseConformanceContext(process.env.MCP_CONFORMANCE_CONTEXT, scenario)
  for (const url of [mcpServerUrl, context.idp_token_endpoint]) assertTrustworthyUrl(new URL(url), allowInsecureHttp)
  log('allowInsecureHttp is ON for loopback hosts only: tokens and client secrets travel over plain http to localhost.')
  log(
    `scenario ${context.name ?? scenario ?? '(unnamed)'}: MCP server ${mcpServerUrl}; IdP ${context.idp_issuer}; client ${context.client_id}`,
  )
  const result = await runConformanceFlow({
    mcpServerUrl,
    context,
    fetch: globalThis.fetch,
    allowInsecureHttp,
    record: (step) => log(formatStepLine(step)),
  })
  log(
    `done: tools [${result.tools.join(', ')}], called ${result.calledTool ?? '(none)'}, access token ${result.accessTokenPreview}`,
  )
  process.exitCode = 0
} catch (error) {
  const flowError = asFlowError(error)
  log(`FAILED (${flowError.error}): ${flowError.message}`)
  process.exitCode = 1
}
