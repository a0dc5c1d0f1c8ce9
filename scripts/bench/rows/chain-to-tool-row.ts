import { closeSession, openSession, type McpSession } from '../mcp.ts'
import { whoami } from '../requests/mcp-requests.ts'
import { exchange, redeem } from '../requests/token-endpoint-requests.ts'
import type { RowSpec } from '../row.ts'
import { topology } from '../topology.ts'
import { ROW } from './row-names.ts'

/**
 * Issue 11: a held ID token to a tool result (exchange at the IdP, jwt-bearer at the AS, a new MCP
 * session, tools/call whoami), one chain at a time, so that the latency is the chain's own and not a
 * queue's. Each chain opens an MCP session; `closeSessions` closes them after the row.
 */
export function chainToToolRow(idToken: string): { spec: RowSpec; closeSessions(): Promise<void> } {
  const { urls } = topology
  const chainSessions: Array<{ token: string; session: McpSession }> = []
  return {
    spec: {
      name: ROW.chainToTool,
      serving: ['idp', 'as', 'mcp', 'tasks-api'],
      concurrency: 1,
      operation: async () => {
        const token = await redeem(await exchange(idToken))
        const session = await openSession(urls.rs, token)
        chainSessions.push({ token, session })
        await whoami(token, session)
      },
    },
    async closeSessions() {
      for (const { token, session } of chainSessions) await closeSession(urls.rs, token, session)
    },
  }
}
