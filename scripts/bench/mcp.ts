// Just enough of an MCP Streamable HTTP client for the benchmark: open a session (initialize, then
// notifications/initialized) and call a tool in it. Answers may come as JSON or as an SSE stream
// that carries the JSON-RPC response; both are read.

/** The version the benchmark asks for; the server's answer is what is sent afterwards. */
const PROTOCOL_VERSION = '2025-11-25'

export interface McpSession {
  id: string
  /** The negotiated version, sent as MCP-Protocol-Version on every later request. */
  protocolVersion: string
  /** The next JSON-RPC request id in this session. */
  nextId: number
}

interface JsonRpcResponse {
  jsonrpc: '2.0'
  id: number | string | null
  result?: Record<string, unknown>
  error?: { code: number; message: string }
}

/** initialize, then notifications/initialized; returns the session the server opened. */
export async function openSession(endpoint: string, accessToken: string | undefined): Promise<McpSession> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: headers(accessToken),
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'ema-bench', version: '0.1.0' },
      },
    }),
  })
  const text = await response.text()
  const id = response.headers.get('mcp-session-id')
  if (response.status !== 200 || id === null) throw new Error(`initialize: ${response.status} ${text.slice(0, 300)}`)
  const answer = readResponse(text, response.headers.get('content-type'), 0)
  const protocolVersion = answer.result?.['protocolVersion']
  if (typeof protocolVersion !== 'string') throw new Error(`initialize: no protocolVersion in ${text.slice(0, 300)}`)
  const session: McpSession = { id, protocolVersion, nextId: 1 }

  const initialized = await fetch(endpoint, {
    method: 'POST',
    headers: headers(accessToken, session),
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  })
  await initialized.arrayBuffer()
  if (initialized.status !== 202) throw new Error(`notifications/initialized: ${initialized.status}`)
  return session
}

/** tools/call in the session; returns the tool's structuredContent, throws on any failure. */
export async function callTool(
  endpoint: string,
  accessToken: string,
  session: McpSession,
  name: string,
  args: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const { result, text } = await request(endpoint, accessToken, session, 'tools/call', { name, arguments: args })
  if (result['isError'] === true) throw new Error(`tools/call ${name}: tool error ${text.slice(0, 300)}`)
  const structured = result['structuredContent']
  if (typeof structured !== 'object' || structured === null) throw new Error(`tools/call ${name}: no structuredContent`)
  return structured as Record<string, unknown>
}

/** `ping` in the session (MCP basic utilities): an empty result, no tool run. Throws on any failure. */
export async function ping(endpoint: string, accessToken: string | undefined, session: McpSession): Promise<void> {
  const { result, text } = await request(endpoint, accessToken, session, 'ping', undefined)
  if (Object.keys(result).length !== 0) throw new Error(`ping: a non-empty result ${text.slice(0, 300)}`)
}

/** One JSON-RPC request in the session; its result, or an Error for any other answer. */
async function request(
  endpoint: string,
  accessToken: string | undefined,
  session: McpSession,
  method: string,
  params: Record<string, unknown> | undefined,
): Promise<{ result: Record<string, unknown>; text: string }> {
  const id = session.nextId++
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: headers(accessToken, session),
    body: JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }),
  })
  const text = await response.text()
  const what = method === 'tools/call' ? `tools/call ${String(params?.['name'])}` : method
  if (response.status !== 200) throw new Error(`${what}: ${response.status} ${text.slice(0, 300)}`)
  const answer = readResponse(text, response.headers.get('content-type'), id)
  if (answer.error !== undefined)
    throw new Error(`${what}: JSON-RPC error ${answer.error.code} ${answer.error.message}`)
  if (answer.result === undefined) throw new Error(`${what}: no result in ${text.slice(0, 300)}`)
  return { result: answer.result, text }
}

/** DELETE the session (Streamable HTTP): the server forgets it. */
export async function closeSession(endpoint: string, accessToken: string, session: McpSession): Promise<void> {
  const response = await fetch(endpoint, { method: 'DELETE', headers: headers(accessToken, session) })
  await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`DELETE session: ${response.status}`)
}

/** The headers of every MCP request: JSON in, JSON or SSE out, the token, and the session once there is one. */
export function headers(accessToken: string | undefined, session?: McpSession): Record<string, string> {
  const out: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  }
  if (accessToken !== undefined) out['authorization'] = `Bearer ${accessToken}`
  if (session !== undefined) {
    out['mcp-session-id'] = session.id
    out['mcp-protocol-version'] = session.protocolVersion
  }
  return out
}

/** The JSON-RPC response with `id`, from a JSON body or from the `data:` lines of an SSE stream. */
function readResponse(text: string, contentType: string | null, id: number): JsonRpcResponse {
  const messages: unknown[] = []
  if (contentType?.startsWith('text/event-stream') === true) {
    for (const event of text.split(/\r?\n\r?\n/)) {
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n')
      if (data !== '') messages.push(JSON.parse(data))
    }
  } else {
    const parsed: unknown = JSON.parse(text)
    messages.push(...(Array.isArray(parsed) ? parsed : [parsed]))
  }
  const match = messages.find(
    (message): message is JsonRpcResponse =>
      typeof message === 'object' && message !== null && (message as { id?: unknown }).id === id,
  )
  if (match === undefined) throw new Error(`no JSON-RPC response with id ${id} in ${text.slice(0, 300)}`)
  return match
}
