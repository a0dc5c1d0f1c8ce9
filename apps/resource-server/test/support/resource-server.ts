import {
  generateSigningKey,
  publicJwks,
  remoteKeySet,
  signAccessToken,
  type SigningKey,
  type SignAccessTokenOptions,
} from '@ema/tokens'
import { listen, type Listening } from '@ema/server-kit'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { createResourceServerApp } from '../../src/app.ts'
import { loadConfig, type ResourceServerConfig } from '../../src/config.ts'
import { useForSuite } from '@ema/test-kit'

/** The test plays the MCP authorization server: a JWKS endpoint on an ephemeral port, and a minting key. */
export interface FakeAuthorizationServer {
  issuer: string
  jwksUri: string
  key: SigningKey
  /** Mints an RFC 9068 access token; defaults: alice (u-1001), client acme-agent-tasks, both scopes, 600 s. */
  mint(overrides?: Partial<SignAccessTokenOptions>): Promise<string>
  close(): Promise<void>
}

export const ALICE = 'u-1001'
export const BOB = 'u-1002'
export const CLIENT_ID = 'acme-agent-tasks'

export async function startAuthorizationServer(): Promise<FakeAuthorizationServer & { audience?: string }> {
  const key = await generateSigningKey()
  const l = await listen({ port: 0 }, (req, res) => {
    if (req.url === '/jwks') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(publicJwks([key])))
      return
    }
    res.writeHead(404).end()
  })
  const fake: FakeAuthorizationServer & { audience?: string } = {
    issuer: l.url,
    jwksUri: `${l.url}/jwks`,
    key,
    mint: (overrides = {}) =>
      signAccessToken({
        issuer: l.url,
        subject: ALICE,
        audience: fake.audience ?? 'unset',
        clientId: CLIENT_ID,
        scope: 'tasks.read tasks.write',
        expiresInSeconds: 600,
        now: new Date(),
        key,
        extraClaims: { idp: 'http://localhost:4001' },
        ...overrides,
      }),
    close: () => l.close(),
  }
  return fake
}

export interface RunningResourceServer {
  config: ResourceServerConfig
  /** `http://localhost:<port>/mcp` */
  resource: string
  url: string
  close(): Promise<void>
}

/** Starts the resource server on an ephemeral port, trusting `as`; `as.mint()` then targets it. */
export async function startResourceServer(
  as: FakeAuthorizationServer & { audience?: string },
  env: Record<string, string> = {},
  options: { now?: () => Date } = {},
): Promise<RunningResourceServer> {
  const l: Listening = await listen({ port: 0 })
  const config = loadConfig({ RS_RESOURCE: `${l.url}/mcp`, AS_ISSUER: as.issuer, ALLOW_INSECURE_HTTP: 'true', ...env })
  const authorizationServerKeys = remoteKeySet(config.authorizationServer.jwksUri, { allowInsecureHttp: true })
  l.server.on(
    'request',
    createResourceServerApp(config, { now: options.now ?? (() => new Date()), authorizationServerKeys }),
  )
  as.audience = config.resource
  return { config, resource: config.resource, url: l.url, close: () => l.close() }
}

/** An SDK client connected to the resource server with a fixed bearer token. */
export async function connectClient(
  resource: string,
  token: string,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'test-client', version: '0.0.0' })
  const transport = new StreamableHTTPClientTransport(new URL(resource), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  })
  await client.connect(transport)
  return { client, transport }
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-fetch', version: '0.0.0' } },
} as const

/** A raw JSON-RPC POST to the MCP endpoint. */
export function postMcp(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  })
}

/** What a suite runs against: the fake authorization server and an MCP server that trusts it. */
export interface ResourceServerSuite {
  as: FakeAuthorizationServer
  rs: RunningResourceServer
}

/**
 * Starts the suite's fake authorization server and MCP server (with `env`) before its tests, hands
 * them to `ready`, and closes both after them.
 */
export function useResourceServer(
  ready: (suite: ResourceServerSuite) => unknown,
  env: Record<string, string> = {},
  options: { now?: () => Date } = {},
): void {
  useForSuite(
    async (): Promise<ResourceServerSuite> => {
      const as = await startAuthorizationServer()
      return { as, rs: await startResourceServer(as, env, options) }
    },
    async ({ as, rs }) => {
      await rs.close()
      await as.close()
    },
    ready,
  )
}
