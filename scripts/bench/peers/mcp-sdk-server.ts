// A benchmark peer: an MCP server on @modelcontextprotocol/sdk as its own README shows one (express,
// stateful Streamable HTTP sessions, one `whoami` tool), with or without the SDK's own bearer
// middleware (`requireBearerAuth`) verifying our authorization server's access tokens with jose
// against its cached remote JWKS. No Host/Origin checks, no session-owner check, no per-tool scopes.
// With PEER_DOWNSTREAM_URL, its `whoami` does the downstream work ours does: GET <url>/whoami at the
// Tasks API with fetch and a fixed valid token it holds (PEER_DOWNSTREAM_TOKEN, exchanged by the
// benchmark beforehand), and answers with the `sub` the Tasks API names (decision 0070).
// Never runs outside `npm run bench`.
//
// Env: PEER_PORT, PEER_BEARER ("true" | "false"); with bearer: AS_ISSUER, AS_JWKS_URI, PEER_RESOURCE;
// optional PEER_DOWNSTREAM_URL with PEER_DOWNSTREAM_TOKEN.
import { randomUUID } from 'node:crypto'
import express from 'express'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import { peerEnv } from './peer-env.ts'

const env = peerEnv(['PEER_PORT', 'PEER_BEARER'])
const bearer = env.PEER_BEARER === 'true'
const app = express()
app.use(express.json())

if (bearer) {
  const { AS_ISSUER, AS_JWKS_URI, PEER_RESOURCE } = peerEnv(['AS_ISSUER', 'AS_JWKS_URI', 'PEER_RESOURCE'])
  const keys = createRemoteJWKSet(new URL(AS_JWKS_URI))
  app.use(
    '/mcp',
    requireBearerAuth({
      verifier: {
        async verifyAccessToken(token): Promise<AuthInfo> {
          const { payload } = await jwtVerify(token, keys, {
            issuer: AS_ISSUER,
            audience: PEER_RESOURCE,
            typ: 'at+jwt',
            algorithms: ['ES256'],
          })
          return {
            token,
            clientId: String(payload['client_id']),
            scopes: typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : [],
            ...(payload.exp === undefined ? {} : { expiresAt: payload.exp }),
            extra: { sub: payload.sub },
          }
        },
      },
    }),
  )
}

const downstream =
  process.env.PEER_DOWNSTREAM_URL === undefined
    ? undefined
    : { url: `${process.env.PEER_DOWNSTREAM_URL}/whoami`, ...peerEnv(['PEER_DOWNSTREAM_TOKEN']) }

/** The Tasks API's view of the caller, as a tool of an MCP SDK server would fetch it. */
async function downstreamSubject(): Promise<unknown> {
  const response = await fetch(downstream!.url, {
    headers: { authorization: `Bearer ${downstream!.PEER_DOWNSTREAM_TOKEN}`, accept: 'application/json' },
  })
  const body = (await response.json()) as { sub?: unknown }
  if (response.status !== 200) throw new Error(`the Tasks API answered ${response.status}`)
  return body.sub
}

const sessions = new Map<string, StreamableHTTPServerTransport>()
app.all('/mcp', async (req, res) => {
  const id = req.header('mcp-session-id')
  const existing = id === undefined ? undefined : sessions.get(id)
  if (existing !== undefined) return existing.handleRequest(req, res, req.body)
  if (id !== undefined || !isInitializeRequest(req.body)) {
    res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'no valid session' }, id: null })
    return
  }
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (sessionId) => {
      sessions.set(sessionId, transport)
    },
  })
  const server = new McpServer({ name: 'bench-peer', version: '0.1.0' })
  server.registerTool('whoami', { description: 'Who is calling' }, async (extra) => {
    const who = {
      subject: downstream === undefined ? (extra.authInfo?.extra?.['sub'] ?? 'anonymous') : await downstreamSubject(),
    }
    return { content: [{ type: 'text', text: JSON.stringify(who) }], structuredContent: who }
  })
  await server.connect(transport)
  await transport.handleRequest(req, res, req.body)
})
app.get('/ready', (_req, res) => {
  res.json({ ready: true })
})

app.listen(Number(env.PEER_PORT), 'localhost')
// Exit (rather than die of the signal) when the benchmark stops it, so that a --cpu-prof profile is written.
process.once('SIGTERM', () => process.exit(0))
