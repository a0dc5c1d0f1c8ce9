/**
 * Every row's name, in the order the table prints them: the groups (token-endpoint-rows.ts,
 * mcp-rows.ts, chain-to-tool-row.ts) measure them, the report (../report/) finds them by name.
 */
export const ROW = {
  // token endpoints (token-endpoint-rows.ts, redis-rows.ts)
  openidConfiguration: 'A  GET openid-configuration',
  exchange: 'token exchange → ID-JAG',
  exchangeRedis: 'token exchange, policy on Redis',
  exchangeInfo: 'token exchange, LOG_LEVEL=info',
  authorizationServerMetadata: 'B  GET oauth-authorization-server',
  redeem: 'jwt-bearer: ID-JAG → access token',
  redeemRedis: 'jwt-bearer, replay store on Redis',
  redeemRedisTwo: 'jwt-bearer, Redis, 2 AS alternately',
  peerJwtBearer: 'peer: bare oidc-provider jwt-bearer',
  peerClientCredentials: 'peer: oidc-provider client_credentials',
  exchangeThenRedeem: 'chain: exchange, then redeem',
  // MCP (mcp-rows.ts)
  protectedResourceMetadata: 'C  GET protected resource metadata',
  whoami: 'MCP tools/call whoami (Bearer)',
  whoamiOne: 'MCP whoami, 1 at a time',
  peerMcpDownstream: 'peer: SDK server + Tasks API call, no auth',
  whoamiCold: 'MCP whoami, on-behalf-of cache off',
  whoamiIntrospect: 'MCP whoami, introspection on (10 s)',
  whoamiIntrospectEvery: 'MCP whoami, introspection every call',
  peerMcpBearer: 'peer: MCP SDK server, bearer auth',
  peerMcp: 'peer: MCP SDK server, no auth',
  ping: 'MCP ping (Bearer)',
  pingVerifyEvery: 'MCP ping, token verified in full',
  peerMcpPing: 'peer: MCP SDK server ping, no auth',
  peerMcpBearerPing: 'peer: MCP SDK server ping, bearer',
  refused: 'MCP POST without token → 401',
  // the chain to a tool result (chain-to-tool-row.ts)
  chainToTool: 'chain: ID token → tool result, 1 at a time',
} as const
