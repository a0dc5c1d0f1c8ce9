import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { decodeJwt } from 'jose'
import { generateSigningKey, publicJwks, remoteKeySet, signAccessToken, type SigningKey } from '@ema/tokens'
import { listen, type Listening } from '@ema/server-kit'
import { createResourceServerApp } from '../src/app.ts'
import { loadConfig, type ResourceServerConfig } from '../src/config.ts'
import { INITIALIZE, postMcp } from './support/resource-server.ts'

/**
 * Decision 0060: TOKEN_INTROSPECTION=on. The test plays the authorization server: its JWKS and an RFC 7662
 * introspection endpoint that knows which jtis were revoked and checks the MCP server's client credentials.
 */

const CLIENT_ID = 'tasks-mcp-server'
const CLIENT_SECRET = 'tasks-mcp-server-secret'

interface FakeAs {
  issuer: string
  key: SigningKey
  revoked: Set<string>
  /** Introspection requests received. */
  introspections: number
  /** When set, the introspection endpoint answers this status with an error body. */
  failWith?: number
  close(): Promise<void>
}

async function startFakeAs(): Promise<FakeAs> {
  const key = await generateSigningKey()
  const fake = { revoked: new Set<string>(), introspections: 0 } as unknown as FakeAs
  const l = await listen({ port: 0 }, (req, res) => {
    if (req.url === '/jwks') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(publicJwks([key])))
      return
    }
    if (req.url === '/introspect' && req.method === 'POST') {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        fake.introspections++
        const json = (status: number, value: unknown) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
        if (fake.failWith !== undefined) return json(fake.failWith, { error: 'server_error' })
        const expected = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`
        if (req.headers.authorization !== expected) return json(401, { error: 'invalid_client' })
        const token = new URLSearchParams(body).get('token') ?? ''
        const jti = String(decodeJwt(token).jti)
        json(200, fake.revoked.has(jti) ? { active: false } : { active: true, jti })
      })
      return
    }
    res.writeHead(404).end()
  })
  Object.assign(fake, { issuer: l.url, key, close: () => l.close() })
  return fake
}

interface Rs {
  config: ResourceServerConfig
  url: string
  resource: string
  close(): Promise<void>
}

async function startRs(as: FakeAs, env: Record<string, string>, now: () => Date): Promise<Rs> {
  const l: Listening = await listen({ port: 0 })
  const config = loadConfig({
    RS_RESOURCE: `${l.url}/mcp`,
    AS_ISSUER: as.issuer,
    ALLOW_INSECURE_HTTP: 'true',
    TOKEN_EXCHANGE_URL: `${as.issuer}/token`,
    TOKEN_EXCHANGE_CLIENT_SECRET: CLIENT_SECRET,
    ...env,
  })
  const authorizationServerKeys = remoteKeySet(config.authorizationServer.jwksUri, { allowInsecureHttp: true })
  l.server.on('request', createResourceServerApp(config, { now, authorizationServerKeys }))
  return { config, url: l.url, resource: config.resource, close: () => l.close() }
}

function mint(as: FakeAs, rs: Rs, now: Date): Promise<string> {
  return signAccessToken({
    issuer: as.issuer,
    subject: 'acme|u-1001',
    audience: rs.resource,
    clientId: 'acme-agent-tasks',
    scope: 'tasks.read tasks.write',
    expiresInSeconds: 600,
    now,
    key: as.key,
  })
}

const call = (rs: Rs, token: string) => postMcp(rs.resource, INITIALIZE, { authorization: `Bearer ${token}` })

describe('TOKEN_INTROSPECTION (decision 0060, RFC 7662)', () => {
  let as: FakeAs
  let t = Date.now()
  const now = () => new Date(t)
  before(async () => {
    as = await startFakeAs()
  })
  after(() => as.close())

  test('off by default: the AS is never asked', async () => {
    const rs = await startRs(as, {}, now)
    try {
      assert.equal(rs.config.tokenIntrospection, undefined)
      const before = as.introspections
      assert.equal((await call(rs, await mint(as, rs, now()))).status, 200)
      assert.equal(as.introspections, before)
    } finally {
      await rs.close()
    }
  })

  test('on: the introspection URL sits beside the token exchange endpoint, with its client', async () => {
    const config = loadConfig({
      ALLOW_INSECURE_HTTP: 'true',
      TOKEN_INTROSPECTION: 'on',
      TOKEN_EXCHANGE_URL: 'http://localhost:4002/token',
      TOKEN_EXCHANGE_CLIENT_SECRET: CLIENT_SECRET,
    })
    assert.equal(config.tokenIntrospection?.url, 'http://localhost:4002/introspect')
    assert.equal(config.tokenIntrospection?.cacheSeconds, 10)
    assert.equal(config.tokenIntrospection?.client.clientId, CLIENT_ID)
  })

  test('on without client credentials: a start-up error that says what to set', () => {
    assert.throws(
      () => loadConfig({ ALLOW_INSECURE_HTTP: 'true', TOKEN_INTROSPECTION: 'on' }),
      /TOKEN_INTROSPECTION=on needs client credentials.*TOKEN_EXCHANGE_CLIENT_SECRET/,
    )
    assert.throws(
      () =>
        loadConfig({
          ALLOW_INSECURE_HTTP: 'true',
          TOKEN_INTROSPECTION: 'on',
          TOKEN_EXCHANGE_CLIENT_SECRET: 's',
          TOKEN_INTROSPECTION_CACHE_SECONDS: '301',
        }),
      /invalid TOKEN_INTROSPECTION_CACHE_SECONDS: must be from 0 to 300/,
    )
  })

  test('a revoked token is refused (401 invalid_token) at the first request after the cache time', async () => {
    const rs = await startRs(as, { TOKEN_INTROSPECTION: 'on' }, now)
    try {
      const token = await mint(as, rs, now())
      const before = as.introspections
      assert.equal((await call(rs, token)).status, 200)
      assert.equal((await call(rs, token)).status, 200)
      assert.equal(as.introspections, before + 1, 'the positive answer is cached')
      as.revoked.add(String(decodeJwt(token).jti))
      t += 9_000
      assert.equal((await call(rs, token)).status, 200, 'still cached: the revocation window')
      t += 2_000
      const refused = await call(rs, token)
      assert.equal(refused.status, 401)
      const body = (await refused.json()) as { error: string; error_description: string }
      assert.equal(body.error, 'invalid_token')
      assert.match(body.error_description, /the token was revoked/)
      assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
      assert.equal((await call(rs, token)).status, 401, 'a negative answer is never cached')
      assert.equal((await call(rs, await mint(as, rs, now()))).status, 200, 'another token is still accepted')
    } finally {
      await rs.close()
    }
  })

  test('TOKEN_INTROSPECTION_CACHE_SECONDS=0: a revoked token is refused at once', async () => {
    const rs = await startRs(as, { TOKEN_INTROSPECTION: 'on', TOKEN_INTROSPECTION_CACHE_SECONDS: '0' }, now)
    try {
      const token = await mint(as, rs, now())
      assert.equal((await call(rs, token)).status, 200)
      as.revoked.add(String(decodeJwt(token).jti))
      assert.equal((await call(rs, token)).status, 401)
    } finally {
      await rs.close()
    }
  })

  test('the AS unreachable: 503 temporarily_unavailable (fail closed), no hang', async () => {
    const down = await listen({ port: 0 })
    const downUrl = `${down.url}/introspect`
    await down.close()
    const rs = await startRs(as, { TOKEN_INTROSPECTION: 'on', TOKEN_INTROSPECTION_URL: downUrl }, now)
    try {
      const response = await call(rs, await mint(as, rs, now()))
      assert.equal(response.status, 503)
      const body = (await response.json()) as { error: string; error_description: string }
      assert.equal(body.error, 'temporarily_unavailable')
      assert.match(body.error_description, /cannot check with the authorization server whether the token was revoked/)
    } finally {
      await rs.close()
    }
  })

  test('the AS refuses our credentials or fails: 503, never a 500 and never accepted', async () => {
    const rs = await startRs(as, { TOKEN_INTROSPECTION: 'on', TOKEN_EXCHANGE_CLIENT_SECRET: 'wrong' }, now)
    try {
      assert.equal((await call(rs, await mint(as, rs, now()))).status, 503)
      as.failWith = 500
      const rs2 = await startRs(as, { TOKEN_INTROSPECTION: 'on' }, now)
      try {
        assert.equal((await call(rs2, await mint(as, rs2, now()))).status, 503)
      } finally {
        delete as.failWith
        await rs2.close()
      }
    } finally {
      await rs.close()
    }
  })
})
