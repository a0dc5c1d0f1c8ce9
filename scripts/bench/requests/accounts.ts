/** The demo world's accounts the benchmark uses (docs/demo-world.md). */
export const accounts = {
  /** The client at the IdP: signs alice in and exchanges her ID token. */
  idpClient: { id: 'acme-agent', secret: 'acme-agent-idp-secret' },
  /** The same client at the AS: redeems the ID-JAG. */
  asClient: { id: 'acme-agent-tasks', secret: 'acme-agent-as-secret' },
  /** The MCP server's on-behalf-of client at the AS: the benchmark exchanges once with it for the downstream peer. */
  mcpServerClient: { id: 'tasks-mcp-server', secret: 'tasks-mcp-server-secret' },
  /** The user, and her subject as the AS names her (what whoami answers). */
  user: { username: 'alice', password: 'alice-password', localSub: 'acme|u-1001' },
} as const
