import type { Logger } from '@ema/server-kit'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { DOWNSTREAM_TRACE_KEY, DownstreamRefusal, type DownstreamTrace, type OnBehalfOf } from './on-behalf-of.ts'
import { principalOf } from './principal.ts'
import type { TasksApiRequest } from './tasks-api-client.ts'
import { assertToolScope } from './tool-scopes.ts'

export interface TasksServerOptions {
  /** RS-07: the scope each tool needs of the inbound token. */
  toolScopes: Readonly<Record<string, string | null>>
  /** OBO-06: the scope each tool asks the authorization server for at the Tasks API. */
  tasksApiScopes: Readonly<Record<string, string>>
  onBehalfOf: OnBehalfOf
  /** MCP_TRACE_DOWNSTREAM: put the second hop in `_meta["io.ema/downstream"]`. */
  traceDownstream: boolean
  log: Logger
}

/**
 * Made once per process, not per MCP session: the SDK's JSON Schema validator (a new Server would
 * otherwise build its own Ajv instance, milliseconds of CPU for every `initialize`) and the tools'
 * input schemas. Neither holds anything of a session.
 */
const JSON_SCHEMA_VALIDATOR = new AjvJsonSchemaValidator()
const ADD_TASK_INPUT = { title: z.string().min(1).max(200).describe('What needs doing (1 to 200 characters)') }

/**
 * The MCP server "Tasks": three tools over the user's tasks, which live in the Tasks API. One
 * instance serves one MCP session; every tool reads the caller from `extra.authInfo` and calls the
 * Tasks API on their behalf with an exchanged token (OBO-01). A refusal by the authorization server or
 * the Tasks API is a tool error naming who refused and the OAuth error code.
 */
export function createTasksServer(options: TasksServerOptions): McpServer {
  const { toolScopes, tasksApiScopes } = options
  const scopeOf = (tool: string): string | null => toolScopes[tool] ?? null
  const server = new McpServer(
    { name: 'tasks', title: 'Tasks', version: '0.1.0' },
    { jsonSchemaValidator: JSON_SCHEMA_VALIDATOR },
  )

  /** Runs a tool's Tasks API call and turns its answer, or its refusal, into a tool result. */
  const viaTasksApi = async (
    tool: string,
    authInfo: AuthInfo,
    request: TasksApiRequest,
    toResult: (body: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<CallToolResult> => {
    try {
      const { response, trace } = await options.onBehalfOf.callTasksApi(
        authInfo,
        tasksApiScopes[tool] ?? 'tasks.read',
        request,
      )
      const value = toResult(response.body)
      if (tool === 'whoami' && trace.api !== undefined) trace.api.body = response.body // the Tasks API's view of the same call
      return withTrace(result(value), trace)
    } catch (error) {
      if (error instanceof DownstreamRefusal) return withTrace(toolError(tool, error), error.trace)
      throw error
    }
  }
  const withTrace = (value: CallToolResult, trace: DownstreamTrace): CallToolResult =>
    options.traceDownstream ? { ...value, _meta: { [DOWNSTREAM_TRACE_KEY]: trace } } : value

  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description:
        'Shows who the MCP server thinks is calling (subject, issuer, client and granted scopes), confirmed by the Tasks API on your behalf.',
    },
    (extra) => {
      const authInfo = assertToolScope(extra.authInfo, scopeOf('whoami'))
      const principal = principalOf(authInfo)
      const idp = authInfo.extra?.['idp']
      return viaTasksApi('whoami', authInfo, { method: 'GET', path: '/whoami' }, (body) => {
        // OBO-12: the user stays the same sub across the exchange; anything else is not whoami's answer.
        if (body.sub !== principal.sub)
          throw new DownstreamRefusal({
            message: 'the Tasks API sees another user than this MCP server does',
            refusedBy: 'the MCP server',
            error: 'server_error',
            trace: { exchange: { request: undefined, status: undefined, cached: false } },
          })
        return {
          subject: principal.sub,
          issuer: principal.iss,
          client_id: principal.client_id,
          scopes: authInfo.scopes,
          ...(typeof idp === 'string' ? { idp } : {}),
        }
      })
    },
  )

  server.registerTool(
    'list_tasks',
    {
      title: 'List tasks',
      description: 'Lists your tasks from the Tasks API. Needs the scope tasks.read.',
    },
    (extra) => {
      const authInfo = assertToolScope(extra.authInfo, scopeOf('list_tasks')) // RS-07
      return viaTasksApi('list_tasks', authInfo, { method: 'GET', path: '/tasks' }, (body) => ({
        tasks: arrayOf(body.tasks),
      }))
    },
  )

  server.registerTool(
    'add_task',
    {
      title: 'Add a task',
      description: 'Adds a task to your list in the Tasks API. Needs the scope tasks.write.',
      inputSchema: ADD_TASK_INPUT,
    },
    ({ title }, extra) => {
      const authInfo = assertToolScope(extra.authInfo, scopeOf('add_task')) // RS-07
      return viaTasksApi('add_task', authInfo, { method: 'POST', path: '/tasks', body: { title } }, (body) => ({
        task: objectOf(body.task),
      }))
    },
  )

  return server

  function toolError(tool: string, refusal: DownstreamRefusal): CallToolResult {
    options.log.debug('tool refused downstream', { tool, refused_by: refusal.refusedBy, error: refusal.error })
    const text = `${tool} failed: ${refusal.message.charAt(0).toUpperCase()}${refusal.message.slice(1)}.`
    return {
      isError: true,
      content: [{ type: 'text', text }],
      structuredContent: {
        error: {
          refused_by: refusal.refusedBy,
          error: refusal.error,
          ...(refusal.errorDescription === undefined ? {} : { error_description: refusal.errorDescription }),
          ...(refusal.status === undefined ? {} : { status: refusal.status }),
        },
      },
    }
  }
}

/** A tool result as JSON text for every client, and as structuredContent for those that read it. */
function result(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value }
}

function arrayOf(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw unexpected('its answer has no tasks list')
  return value
}

function objectOf(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw unexpected('its answer has no task')
  return value as Record<string, unknown>
}

function unexpected(what: string): DownstreamRefusal {
  return new DownstreamRefusal({
    message: `the Tasks API answered with something unexpected: ${what}`,
    refusedBy: 'the Tasks API',
    error: 'invalid_response',
    trace: { exchange: { request: undefined, status: undefined, cached: false } },
  })
}
