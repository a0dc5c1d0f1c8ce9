import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { generateSigningKey, publicJwks, remoteKeySet, signAccessToken } from '@ema/tokens'
import { listen, type Listening } from '@ema/server-kit'
import { createResourceServerApp } from '../src/app.ts'
import { loadConfig, type ResourceServerConfig } from '../src/config.ts'
import { INITIALIZE, postMcp } from './support/resource-server.ts'

/**
 * Limits at the MCP endpoint: bodies, bearer length, header block. Every refusal is JSON (never
 * express's HTML page) and every test is time-bounded. The fake authorization server counts its
 * JWKS requests, so a test can prove a token was refused without being verified.
 */
const key = await generateSigningKey()

describe('request limits at /mcp', () => {
  let jwks: Listening
  let jwksRequests = 0
  let rs: Listening
  let config: ResourceServerConfig
  let token: string

  before(async () => {
    jwks = await listen({ port: 0 }, (_req, res) => {
      jwksRequests++
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(publicJwks([key])))
    })
    rs = await listen({ port: 0 })
    config = loadConfig({
      RS_RESOURCE: `${rs.url}/mcp`,
      AS_ISSUER: jwks.url,
      AS_JWKS_URI: `${jwks.url}/jwks`,
      ALLOW_INSECURE_HTTP: 'true',
    })
    const authorizationServerKeys = remoteKeySet(config.authorizationServer.jwksUri, { allowInsecureHttp: true })
    rs.server.on('request', createResourceServerApp(config, { now: () => new Date(), authorizationServerKeys }))
    token = await signAccessToken({
      issuer: jwks.url,
      subject: 'u-1001',
      audience: config.resource,
      clientId: 'acme-agent-tasks',
      scope: 'tasks.read tasks.write',
      expiresInSeconds: 600,
      now: new Date(),
      key,
    })
  })
  after(async () => {
    await rs.close()
    await jwks.close()
  })

  async function assertJsonRpcRefusal(res: Response, status: number): Promise<{ code: number; message: string }> {
    assert.equal(res.status, status)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    const body = (await res.json()) as { jsonrpc: string; error: { code: number; message: string } }
    assert.equal(body.jsonrpc, '2.0')
    return body.error
  }

  test('RS-08 an oversized JSON body (> 256 KB) → 413 JSON, not HTML', { timeout: 5000 }, async () => {
    const big = { ...INITIALIZE, params: { ...INITIALIZE.params, padding: 'a'.repeat(300_000) } }
    const error = await assertJsonRpcRefusal(
      await postMcp(config.resource, big, { authorization: `Bearer ${token}` }),
      413,
    )
    assert.match(error.message, /entity\.too\.large/)
  })

  test('RS-08 an oversized form body (> 16 KB) → 413 JSON', { timeout: 5000 }, async () => {
    const res = await fetch(config.resource, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
      body: `a=${'b'.repeat(20_000)}`,
    })
    await assertJsonRpcRefusal(res, 413)
  })

  test('RS-08 an unknown Content-Encoding → 415 JSON, not a 500 (fixed)', { timeout: 5000 }, async () => {
    const res = await fetch(config.resource, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'bogus',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify(INITIALIZE),
    })
    await assertJsonRpcRefusal(res, 415)
  })

  test('RS-08 an unsupported JSON charset → 415 JSON, not a 500 (fixed)', { timeout: 5000 }, async () => {
    const res = await fetch(config.resource, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=latin-9000',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify(INITIALIZE),
    })
    await assertJsonRpcRefusal(res, 415)
  })

  test(
    'RS-08 RS-09 an oversized bearer token (> 8192 chars) → 401 invalid_token, refused before any key is fetched',
    { timeout: 5000 },
    async () => {
      const before = jwksRequests
      const long = `${token}${'A'.repeat(9000)}`
      const res = await postMcp(config.resource, INITIALIZE, { authorization: `Bearer ${long}` })
      assert.equal(res.status, 401)
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
      const body = (await res.json()) as { error: string; error_description: string }
      assert.equal(body.error, 'invalid_token')
      assert.match(body.error_description, /longer than 8192 characters/)
      assert.equal(jwksRequests, before, 'the JWKS was not fetched for an oversized token')
    },
  )

  test("a header block over Node's limit → 431, at once", { timeout: 5000 }, async () => {
    const res = await postMcp(config.resource, INITIALIZE, { authorization: `Bearer ${'A'.repeat(20_000)}` })
    assert.equal(res.status, 431)
    await res.body?.cancel()
  })

  test(
    'the valid token still works after all of the above (the limits refused, nothing broke)',
    { timeout: 5000 },
    async () => {
      const res = await postMcp(config.resource, INITIALIZE, { authorization: `Bearer ${token}` })
      assert.equal(res.status, 200)
      await res.body?.cancel()
    },
  )
})
