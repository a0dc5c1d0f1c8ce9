// The MCP requests the rows send, each checking its answer: a tool call must name alice (or whom the
// peer names), a call without a token must be refused with a Bearer challenge.
import { callTool, headers, type McpSession } from '../mcp.ts'
import { topology } from '../topology.ts'
import { accounts } from './accounts.ts'

/** whoami must answer for alice, as the AS names her. */
export async function whoami(accessToken: string, session: McpSession, endpoint = topology.urls.rs): Promise<void> {
  const who = await callTool(endpoint, accessToken, session, 'whoami')
  if (who['subject'] !== accounts.user.localSub)
    throw new Error(`whoami: subject ${JSON.stringify(who['subject'])}, expected ${accounts.user.localSub}`)
}

/** whoami at a peer MCP server: the subject it names (alice, or "anonymous" without auth). */
export async function peerWhoami(
  endpoint: string,
  accessToken: string,
  session: McpSession,
  expected: string,
): Promise<void> {
  const who = await callTool(endpoint, accessToken, session, 'whoami')
  if (who['subject'] !== expected)
    throw new Error(`peer whoami: subject ${JSON.stringify(who['subject'])}, expected ${expected}`)
}

/** The same tools/call with no token: a 401 with a Bearer challenge, before any JSON is parsed. */
export async function refused(): Promise<void> {
  const response = await fetch(topology.urls.rs, {
    method: 'POST',
    headers: headers(undefined),
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
  })
  await response.arrayBuffer()
  if (response.status !== 401 || response.headers.get('www-authenticate')?.startsWith('Bearer') !== true) {
    throw new Error(`no token: ${response.status}, expected 401 with a Bearer challenge`)
  }
}
