import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js'
import { EXTENSION_ID, parseScope } from '@ema/tokens'
import { asFlowError, FlowError } from './flow-error.ts'
import type { TrafficObserver } from './traffic-observer.ts'
import { parseBearerChallenge } from './www-authenticate.ts'

export interface ConnectMcpOptions {
  mcpServerUrl: string
  /** Supplies the Bearer token and re-acquires it on 401 / 403 (e.g. `IdJagOAuthClientProvider`). */
  authProvider: OAuthClientProvider
  fetch: typeof fetch
  /** The MCP server's name in messages, from configuration; default "MCP". */
  serverName?: string
  /** How this client introduces itself in `initialize`; default `id-jag-client`. */
  clientInfo?: { name: string; version: string }
  /** The observer of the traffic `fetch` records, kept so that {@link callMcpTool} can end each call. */
  observer?: TrafficObserver | undefined
  /** Told about every 403 `insufficient_scope` challenge before the SDK steps up (CL-46). */
  onInsufficientScope?: (challengedScope: string | undefined) => void
}

/** A connected MCP client, kept per browser session on the server. */
export interface McpConnection {
  client: Client
  tools: Tool[]
  serverName: string
  /** The last 401/403 challenge the MCP server sent, for explaining a refusal in plain words. */
  lastChallenge(): { status: number; header: string | null } | undefined
  close(): Promise<void>
  /** The observer of this connection's traffic, if it is recorded. */
  observer: TrafficObserver | undefined
}

/**
 * Connects to the MCP server over Streamable HTTP with the SDK's `Client`, declaring the
 * Enterprise-Managed Authorization extension (CL-12), and lists its tools. The transport sends
 * `Authorization: Bearer` from the auth provider on every request (CL-42), and only tokens from the
 * MCP authorization server (CL-43).
 *
 * Does NOT obtain a token itself: the auth provider does, on the SDK's 401 / 403 handling.
 * @throws {FlowError} when the MCP server refuses the token or the connection fails.
 */
export async function connectMcp(options: ConnectMcpOptions): Promise<McpConnection> {
  const serverName = options.serverName ?? 'MCP'
  let lastChallenge: { status: number; header: string | null } | undefined
  // Remember the last refusal's challenge: the SDK's error only carries the status.
  const observingFetch: typeof fetch = async (input, init) => {
    const response = await options.fetch(input, init)
    if (response.status === 401 || response.status === 403) {
      lastChallenge = { status: response.status, header: response.headers.get('www-authenticate') }
      const bearer = parseBearerChallenge(lastChallenge.header)
      if (response.status === 403 && bearer?.error === 'insufficient_scope') options.onInsufficientScope?.(bearer.scope) // CL-46
    }
    return response
  }
  const transport = new StreamableHTTPClientTransport(new URL(options.mcpServerUrl), {
    authProvider: options.authProvider,
    fetch: observingFetch,
  })
  const client = new Client(
    options.clientInfo ?? { name: 'id-jag-client', version: '0.1.0' },
    // CL-12: declare the extension; the ext-auth spec defines no settings object.
    { capabilities: { extensions: { [EXTENSION_ID]: {} } } },
  )
  try {
    await client.connect(transport)
    const { tools } = await client.listTools()
    return {
      client,
      tools,
      serverName,
      lastChallenge: () => lastChallenge,
      close: () => client.close(),
      observer: options.observer,
    }
  } catch (error) {
    await client.close().catch(() => {})
    throw explainMcpError(error, lastChallenge, serverName, 'the connection', undefined)
  }
}

/**
 * Calls one tool. A refusal becomes a {@link FlowError} with the wire error code; the connection's
 * observer, if any, sees the call's traffic (and any re-acquired token's), then the end of the call.
 */
export async function callMcpTool(
  connection: McpConnection,
  name: string,
  args: Record<string, unknown>,
  options: { grantedScope?: string | undefined } = {},
): Promise<CallToolResult> {
  const before = connection.lastChallenge()
  try {
    return (await connection.client.callTool({ name, arguments: args })) as CallToolResult
  } catch (error) {
    const challenge = connection.lastChallenge()
    throw explainMcpError(
      error,
      challenge !== before ? challenge : undefined,
      connection.serverName,
      name,
      options.grantedScope,
    )
  } finally {
    connection.observer?.flush?.()
  }
}

/**
 * Maps an MCP server refusal to plain words with its OAuth code: 403 `insufficient_scope` (RFC 6750
 * §3.1, CL-46: the SDK already retried once with a fresh token), 401 `invalid_token`.
 */
function explainMcpError(
  error: unknown,
  challenge: { status: number; header: string | null } | undefined,
  serverName: string,
  what: string,
  grantedScope: string | undefined,
): FlowError {
  if (error instanceof FlowError) return error // e.g. the IdP refused the step-up exchange
  const status =
    challenge?.status ??
    (typeof (error as { code?: unknown })?.code === 'number' ? (error as { code: number }).code : undefined)
  const bearer = parseBearerChallenge(challenge?.header ?? null)
  if (status === 403 && (bearer?.error === 'insufficient_scope' || bearer === undefined)) {
    const required = parseScope(bearer?.scope)
    const granted = parseScope(grantedScope)
    const missing = required.filter((scope) => !granted.includes(scope))
    const lacks = (missing.length > 0 ? missing : required).join(' ') || 'the required scope'
    return new FlowError('insufficient_scope', `The ${serverName} server refused ${what}: your token lacks ${lacks}`, {
      status,
      description: bearer?.error_description,
      cause: error,
      refusedBy: 'mcp_server',
    })
  }
  if (status === 401 || status === 403) {
    const code = bearer?.error ?? (status === 401 ? 'invalid_token' : 'access_denied')
    return new FlowError(
      code,
      `The ${serverName} server refused ${what} (HTTP ${status}): ${bearer?.error_description ?? 'the access token was not accepted'}`,
      { status, description: bearer?.error_description, cause: error, refusedBy: 'mcp_server' },
    )
  }
  const flowError = asFlowError(error)
  return new FlowError(flowError.error, `The ${serverName} server could not complete ${what}: ${flowError.message}`, {
    cause: error,
  })
}
