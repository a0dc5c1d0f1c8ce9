import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { discoverProtectedResource } from '../src/discover-protected-resource.ts'
import { FlowError } from '../src/flow-error.ts'
import { startFakeServer, type FakeServer } from '@ema/test-kit'

describe('discoverProtectedResource', () => {
  let rs: FakeServer
  // Per-test behaviour, switched by the tests below.
  let challenge: string | undefined
  let prm: Record<string, Record<string, unknown>> = {}

  before(async () => {
    rs = await startFakeServer()
    rs.app.post('/mcp', (_req, res) => {
      if (challenge !== undefined) res.set('www-authenticate', challenge)
      res.status(401).json({ error: 'invalid_token' })
    })
    rs.app.get(/.*/, (req, res) => {
      const doc = prm[req.path]
      if (doc === undefined) res.status(404).json({ error: 'not_found' })
      else res.json(doc)
    })
  })
  after(() => rs.close())

  const discover = (expectedAuthorizationServer?: string) =>
    discoverProtectedResource({
      mcpServerUrl: `${rs.url}/mcp`,
      expectedAuthorizationServer,
      fetch,
      allowInsecureHttp: true,
    })

  test('CL-02 uses resource_metadata from the 401 WWW-Authenticate challenge', async () => {
    challenge = `Bearer resource_metadata="${rs.url}/custom/prm", scope="tasks.read tasks.write"`
    prm = { '/custom/prm': { resource: `${rs.url}/mcp`, authorization_servers: ['http://localhost:4002'] } }
    rs.received.length = 0
    const found = await discover()
    assert.equal(found.metadataUrl, `${rs.url}/custom/prm`)
    assert.equal(found.challengedScope, 'tasks.read tasks.write')
    assert.deepEqual(
      rs.received.map((r) => `${r.method} ${r.path}`),
      ['POST /mcp', 'GET /custom/prm'],
    )
  })

  test('CL-02 without resource_metadata probes the path-aware well-known URL, then the root', async () => {
    challenge = 'Bearer error="invalid_token"'
    prm = {
      '/.well-known/oauth-protected-resource': {
        resource: `${rs.url}/mcp`,
        authorization_servers: ['http://localhost:4002'],
      },
    }
    rs.received.length = 0
    const found = await discover()
    assert.deepEqual(
      rs.received.map((r) => r.path),
      ['/mcp', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'],
    )
    assert.equal(found.metadataUrl, `${rs.url}/.well-known/oauth-protected-resource`)
  })

  test('CL-01 chooses the first entry of authorization_servers', async () => {
    challenge = undefined
    prm = {
      '/.well-known/oauth-protected-resource/mcp': {
        resource: `${rs.url}/mcp`,
        authorization_servers: ['http://localhost:4002', 'http://localhost:4999'],
      },
    }
    const found = await discover()
    assert.equal(found.authorizationServer, 'http://localhost:4002')
  })

  test('CL-01 refuses metadata that does not list the configured AS_ISSUER', async () => {
    challenge = undefined
    prm = {
      '/.well-known/oauth-protected-resource/mcp': {
        resource: `${rs.url}/mcp`,
        authorization_servers: ['http://localhost:4999'],
      },
    }
    await assert.rejects(
      discover('http://localhost:4002'),
      (error: unknown) => error instanceof FlowError && /4002/.test(error.message),
    )
  })

  test('CL-03 refuses protected resource metadata whose resource differs from the configured MCP server', async () => {
    challenge = `Bearer resource_metadata="${rs.url}/custom/prm"`
    prm = { '/custom/prm': { resource: `${rs.url}/other`, authorization_servers: ['http://localhost:4002'] } }
    await assert.rejects(discover(), (error: unknown) => {
      assert.ok(error instanceof FlowError)
      assert.equal(error.error, 'invalid_resource_metadata')
      assert.match(error.message, /not the configured MCP server/)
      return true
    })
  })

  test('CL-03 refuses a resource that differs only by a trailing slash', async () => {
    challenge = `Bearer resource_metadata="${rs.url}/custom/prm"`
    prm = { '/custom/prm': { resource: `${rs.url}/mcp/`, authorization_servers: ['http://localhost:4002'] } }
    await assert.rejects(discover(), FlowError)
  })

  test('CL-48 refuses http URLs unless allowInsecureHttp', async () => {
    await assert.rejects(
      discoverProtectedResource({ mcpServerUrl: `${rs.url}/mcp`, fetch, allowInsecureHttp: false }),
      /not https/,
    )
  })
})
