import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { principalOf } from './principal.ts'
import type { TaskStore } from './task-store.ts'
import { assertToolScope } from './tool-scopes.ts'

export interface TasksServerOptions {
  toolScopes: Readonly<Record<string, string | null>>
  store: TaskStore
  now: () => Date
}

/**
 * The MCP server "Tasks": three tools over a per-user task list. One instance serves one MCP
 * session; the store is shared, and every tool reads the caller from `extra.authInfo`.
 */
export function createTasksServer(options: TasksServerOptions): McpServer {
  const { store, toolScopes } = options
  const scopeOf = (tool: string): string | null => toolScopes[tool] ?? null
  const server = new McpServer({ name: 'tasks', title: 'Tasks', version: '0.1.0' })

  server.registerTool('whoami', {
    title: 'Who am I',
    description: 'Shows who the MCP server thinks is calling: subject, issuer, client and granted scopes.',
  }, (extra) => {
    const authInfo = assertToolScope(extra.authInfo, scopeOf('whoami'))
    const principal = principalOf(authInfo)
    const idp = authInfo.extra?.['idp']
    return result({
      subject: principal.sub,
      issuer: principal.iss,
      client_id: principal.client_id,
      scopes: authInfo.scopes,
      ...(typeof idp === 'string' ? { idp } : {}),
    })
  })

  server.registerTool('list_tasks', {
    title: 'List tasks',
    description: 'Lists your tasks. Needs the scope tasks.read.',
  }, (extra) => {
    const authInfo = assertToolScope(extra.authInfo, scopeOf('list_tasks')) // RS-07
    return result({ tasks: store.list(principalOf(authInfo)) })
  })

  server.registerTool('add_task', {
    title: 'Add a task',
    description: 'Adds a task to your list. Needs the scope tasks.write.',
    inputSchema: { title: z.string().min(1).max(200).describe('What needs doing (1 to 200 characters)') },
  }, ({ title }, extra) => {
    const authInfo = assertToolScope(extra.authInfo, scopeOf('add_task')) // RS-07
    return result({ task: store.add(principalOf(authInfo), title, options.now()) })
  })

  return server
}

/** A tool result as JSON text for every client, and as structuredContent for those that read it. */
function result(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value }
}
