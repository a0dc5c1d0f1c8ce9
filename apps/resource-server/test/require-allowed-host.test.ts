import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../src/config.ts'
import { allowedHostsFor, canonicalHost } from '../src/require-allowed-host.ts'
import {
  INITIALIZE,
  startAuthorizationServer,
  startResourceServer,
  type FakeAuthorizationServer,
  type RunningResourceServer,
} from './support/resource-server.ts'

/** A raw POST with a chosen Host header (fetch does not let a caller set Host). */
function postWithHost(
  url: string,
  host: string | undefined,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const target = new URL(url)
  const payload = JSON.stringify(INITIALIZE)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: 'localhost',
        port: target.port,
        path: target.pathname,
        method: 'POST',
        setHost: false,
        headers: {
          ...(host === undefined ? {} : { host }),
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': String(Buffer.byteLength(payload)),
          ...headers,
        },
        timeout: 5000,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
}

describe('DNS-rebinding protection: Host', () => {
  let as: FakeAuthorizationServer
  let rs: RunningResourceServer
  let port: string
  before(async () => {
    as = await startAuthorizationServer()
    rs = await startResourceServer(as, { RS_ALLOWED_HOSTS: 'tasks.example.com, proxy.example:8443' })
    port = new URL(rs.resource).port
  })
  after(async () => {
    await rs.close()
    await as.close()
  })

  const refused = [
    'evil.example',
    'attacker.example:PORT',
    'localhost.evil.example:PORT',
    'localhost:1',
    'evil.example@localhost:PORT',
    'localhost:PORT/x',
    'localhost:PORT, evil.example',
    'tasks.example.com:8443', // an extra is allowed only on the port it names (default port here)
    '',
  ]
  for (const template of refused) {
    test(`MCP transport security: Host ${JSON.stringify(template)} → 403 JSON-RPC, before the token is looked at`, async () => {
      const token = await as.mint()
      const res = await postWithHost(rs.resource, template.replace('PORT', port), { authorization: `Bearer ${token}` })
      assert.equal(res.status, 403)
      assert.equal(res.headers['www-authenticate'], undefined, 'no RFC 6750 challenge: the token was never processed')
      const body = JSON.parse(res.body) as { jsonrpc: string; error: { code: number; message: string }; id: null }
      assert.equal(body.jsonrpc, '2.0')
      assert.equal(body.error.code, -32000)
      assert.match(body.error.message, /^Forbidden: Host /)
      assert.equal(body.id, null)
    })
  }

  test('MCP transport security: a garbage token with a bad Host is still 403, not 401 (no token processing)', async () => {
    const res = await postWithHost(rs.resource, 'evil.example', { authorization: 'Bearer garbage' })
    assert.equal(res.status, 403)
  })

  const allowed = [
    'localhost:PORT',
    'LOCALHOST:PORT',
    '127.0.0.1:PORT',
    '[::1]:PORT',
    'tasks.example.com',
    'tasks.example.com:80',
    'proxy.example:8443',
  ]
  for (const template of allowed) {
    test(`MCP transport security: Host ${JSON.stringify(template)} is accepted`, async () => {
      const token = await as.mint()
      const res = await postWithHost(rs.resource, template.replace('PORT', port), { authorization: `Bearer ${token}` })
      assert.equal(res.status, 200, res.body)
    })
  }

  test('MCP transport security: the protected resource metadata is not behind the Host check', async () => {
    const res = await fetch(`${rs.url}/.well-known/oauth-protected-resource/mcp`)
    assert.equal(res.status, 200)
    await res.body?.cancel()
  })
})

describe('allowed hosts from configuration', () => {
  test("the resource's own host only, for a non-loopback resource", () => {
    const config = loadConfig({
      RS_RESOURCE: 'https://Tasks.Example/mcp',
      AS_ISSUER: 'https://as.example',
      CLIENT_URL: 'https://agent.example',
      TASKS_API_URL: 'https://tasks-api.example',
    })
    assert.deepEqual(config.allowedHosts, ['tasks.example'])
  })

  test("RS_ALLOWED_HOSTS adds to the resource's own host", () => {
    const config = loadConfig({
      RS_RESOURCE: 'https://tasks.example:8443/mcp',
      AS_ISSUER: 'https://as.example',
      CLIENT_URL: 'https://agent.example',
      TASKS_API_URL: 'https://tasks-api.example',
      RS_ALLOWED_HOSTS: 'a.example, b.example:9000,',
    })
    assert.deepEqual(config.allowedHosts, ['tasks.example:8443', 'a.example', 'b.example:9000'])
  })

  test('RS_ALLOWED_HOSTS refuses a value that is not host[:port]', () => {
    for (const bad of ['http://a.example', 'a.example/x', 'user@a.example', 'a b']) {
      assert.throws(
        () =>
          loadConfig({
            RS_RESOURCE: 'https://tasks.example/mcp',
            AS_ISSUER: 'https://as.example',
            CLIENT_URL: 'https://agent.example',
            TASKS_API_URL: 'https://tasks-api.example',
            RS_ALLOWED_HOSTS: bad,
          }),
        /RS_ALLOWED_HOSTS/,
        bad,
      )
    }
  })

  test('a loopback resource also answers its loopback aliases on the same port', () => {
    assert.deepEqual(allowedHostsFor(new URL('http://localhost:4003/mcp'), []), [
      'localhost:4003',
      '127.0.0.1:4003',
      '[::1]:4003',
    ])
  })

  test("canonicalHost drops the scheme's default port and lower-cases", () => {
    assert.equal(canonicalHost('Tasks.Example:443', 'https:'), 'tasks.example')
    assert.equal(canonicalHost('tasks.example:443', 'http:'), 'tasks.example:443')
    assert.equal(canonicalHost('[::1]:80', 'http:'), '[::1]')
    assert.equal(canonicalHost('a.example:80@b', 'http:'), undefined)
  })
})
