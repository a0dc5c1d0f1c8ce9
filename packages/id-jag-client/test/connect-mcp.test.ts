import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { EXTENSION_ID } from '@ema/tokens'
import { callMcpTool, connectMcp } from '../src/connect-mcp.ts'
import { FlowError } from '../src/flow-error.ts'
import { IdJagOAuthClientProvider } from '../src/id-jag-oauth-client-provider.ts'
import { startFakeServer, type FakeServer } from '@ema/test-kit'

/**
 * A fake "Tasks" MCP server speaking JSON responses over Streamable HTTP: `at-read` may list, only
 * `at-write` may add. And a fake authorization server that always issues `at-read` (like bob's policy).
 */
describe('connectMcp and callMcpTool', () => {
  let rs: FakeServer
  let as: FakeServer
  let initializeParams: Record<string, unknown> | undefined
  const resource = () => `${rs.url}/mcp`

  before(async () => {
    rs = await startFakeServer()
    as = await startFakeServer()
    as.app.post('/token', (_req, res) => {
      res.json({ access_token: 'at-read', token_type: 'Bearer', expires_in: 600, scope: 'tasks.read' })
    })
    const challenge = (error: string, scope?: string) =>
      `Bearer error="${error}"${scope === undefined ? '' : `, scope="${scope}"`}, resource_metadata="${rs.url}/.well-known/oauth-protected-resource/mcp"`
    rs.app.get('/mcp', (_req, res) => {
      res.status(405).end()
    })
    rs.app.delete('/mcp', (_req, res) => {
      res.status(200).end()
    })
    rs.app.post('/mcp', (req, res) => {
      const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1]
      if (token !== 'at-read' && token !== 'at-write') {
        res.status(401).set('www-authenticate', challenge('invalid_token')).json({ error: 'invalid_token' })
        return
      }
      const message = req.body as { id?: number; method: string; params?: Record<string, unknown> }
      if (message.id === undefined) {
        res.status(202).end()
        return
      }
      const reply = (result: unknown) =>
        res.set('mcp-session-id', 's-1').json({ jsonrpc: '2.0', id: message.id, result })
      switch (message.method) {
        case 'initialize':
          initializeParams = message.params
          reply({
            protocolVersion: message.params?.protocolVersion,
            capabilities: { tools: {} },
            serverInfo: { name: 'tasks', version: '1.0.0' },
          })
          return
        case 'tools/list':
          reply({
            tools: [
              { name: 'list_tasks', inputSchema: { type: 'object' } },
              { name: 'add_task', inputSchema: { type: 'object', properties: { title: { type: 'string' } } } },
            ],
          })
          return
        case 'tools/call': {
          const name = (message.params as { name: string }).name
          if (name === 'add_task' && token !== 'at-write') {
            res
              .status(403)
              .set('www-authenticate', challenge('insufficient_scope', 'tasks.write'))
              .json({ error: 'insufficient_scope' })
            return
          }
          reply({ content: [{ type: 'text', text: `${name} ok` }] })
          return
        }
        default:
          res.json({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'not found' } })
      }
    })
  })
  after(async () => {
    await rs.close()
    await as.close()
  })

  const connect = (idJags: string[]) => {
    const authProvider = new IdJagOAuthClientProvider({
      authorizationServer: as.url,
      resource: resource(),
      client: { clientId: 'acme-agent-tasks', clientSecret: 'acme-agent-as-secret' },
      scope: 'tasks.read tasks.write',
      tokens: { access_token: 'at-read', token_type: 'Bearer', scope: 'tasks.read' },
      discoveryState: {
        authorizationServerUrl: as.url,
        resourceMetadata: { resource: resource(), authorization_servers: [as.url] },
        authorizationServerMetadata: {
          issuer: as.url,
          token_endpoint: `${as.url}/token`,
          authorization_endpoint: `${as.url}/auth`,
          response_types_supported: ['code'],
        },
      },
      obtainIdJag: async () => {
        idJags.push('fresh')
        return `id-jag-${idJags.length}`
      },
    })
    return connectMcp({ mcpServerUrl: resource(), authProvider, fetch, serverName: 'Tasks' })
  }

  test('CL-12 CL-42 declares the extension, sends the Bearer token and lists tools', async () => {
    rs.received.length = 0
    const connection = await connect([])
    try {
      assert.deepEqual(
        connection.tools.map((tool) => tool.name),
        ['list_tasks', 'add_task'],
      )
      assert.deepEqual((initializeParams?.capabilities as { extensions?: unknown }).extensions, { [EXTENSION_ID]: {} })
      const posts = rs.received.filter((r) => r.method === 'POST')
      assert.ok(posts.length >= 2)
      for (const post of posts) assert.equal(post.headers.authorization, 'Bearer at-read')
      const result = await callMcpTool(connection, 'list_tasks', {})
      assert.deepEqual(result.content, [{ type: 'text', text: 'list_tasks ok' }])
    } finally {
      await connection.close()
    }
  })

  test('CL-46 a 403 insufficient_scope is retried once with a fresh ID-JAG, then shown with its code', async () => {
    const idJags: string[] = []
    const connection = await connect(idJags)
    try {
      await assert.rejects(
        callMcpTool(connection, 'add_task', { title: 'x' }, { grantedScope: 'tasks.read' }),
        (error: unknown) => {
          assert.ok(error instanceof FlowError)
          assert.equal(error.error, 'insufficient_scope')
          assert.equal(error.message, 'The Tasks server refused add_task: your token lacks tasks.write')
          return true
        },
      )
      assert.equal(idJags.length, 1, 'the SDK asked for exactly one fresh ID-JAG (step-up, limited retries)')
    } finally {
      await connection.close()
    }
  })
})
