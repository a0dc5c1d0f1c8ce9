/**
 * A JSON-RPC error response with no request id, as the MCP Streamable HTTP transport answers a
 * request it refuses before any message is read (a bad Origin or Host, no session, a malformed body).
 */
export function jsonRpcError(
  code: number,
  message: string,
): { jsonrpc: '2.0'; error: { code: number; message: string }; id: null } {
  return { jsonrpc: '2.0', error: { code, message }, id: null }
}
