import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { listen } from '@ema/server-kit'
import { generateSigningKey, publicJwks, signAccessToken } from '@ema/tokens'
import { assertAliveNotReady, startRoleProcess } from '@ema/test-kit'
import { ALICE, CLIENT_ID, INITIALIZE, postMcp } from './support/resource-server.ts'

// Process tests: the real main.ts, on ports 5730–5760.
const APP = fileURLToPath(new URL('..', import.meta.url))
const PORT = 5732
const ORIGIN = `http://localhost:${PORT}`
const RESOURCE = `${ORIGIN}/mcp`

test('SIGTERM during a tool call: the GET event stream ends at once, the call completes, sessions close, exit 0', async () => {
  const key = await generateSigningKey()
  // The test plays the authorization server: its JWKS, and a token endpoint that takes 1.5 s to refuse.
  const as = await listen({ port: 0 }, (req, res) => {
    if (req.url === '/jwks')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(publicJwks([key])))
    if (req.url === '/token')
      return void setTimeout(
        () =>
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: 'invalid_grant', error_description: 'slow refusal' })),
        1500,
      )
    res.writeHead(404).end()
  })
  const role = await startRoleProcess({
    cwd: APP,
    env: {
      RS_RESOURCE: RESOURCE,
      AS_ISSUER: as.url,
      ALLOW_INSECURE_HTTP: 'true',
      TOKEN_EXCHANGE_URL: `${as.url}/token`,
      TOKEN_EXCHANGE_CLIENT_SECRET: 'test-secret',
      TASKS_API_URL: 'http://localhost:5759',
      SHUTDOWN_TIMEOUT_MS: '6000',
      AUDIT_LOG: 'off',
    },
    readyUrl: `${ORIGIN}/healthz`,
  })
  try {
    assert.equal((await fetch(`${ORIGIN}/healthz`)).status, 200)
    assert.equal((await fetch(`${ORIGIN}/readyz`)).status, 200, 'the AS JWKS is fetchable')
    const token = await signAccessToken({
      issuer: as.url,
      subject: ALICE,
      audience: RESOURCE,
      clientId: CLIENT_ID,
      scope: 'tasks.read tasks.write',
      expiresInSeconds: 600,
      now: new Date(),
      key,
      extraClaims: { idp: 'http://localhost:4001' },
    })
    const auth = { authorization: `Bearer ${token}` }
    const initialized = await postMcp(RESOURCE, INITIALIZE, auth)
    assert.equal(initialized.status, 200)
    await initialized.text()
    const session = { ...auth, 'mcp-session-id': initialized.headers.get('mcp-session-id')! }
    const version = { 'mcp-protocol-version': '2025-06-18' }
    await (
      await postMcp(RESOURCE, { jsonrpc: '2.0', method: 'notifications/initialized' }, { ...session, ...version })
    ).text()
    // The standalone event stream: it would hold its connection until the deadline if nobody ended it.
    const stream = await fetch(RESOURCE, { headers: { ...session, ...version, accept: 'text/event-stream' } })
    assert.equal(stream.status, 200)
    const call = postMcp(
      RESOURCE,
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
      { ...session, ...version },
    )
    await new Promise((resolve) => setTimeout(resolve, 400))
    const signalled = Date.now()
    role.child.kill('SIGTERM')
    await stream.text() // ends: the drain ended it
    await new Promise((resolve) => setTimeout(resolve, 100))
    await assert.rejects(fetch(`${ORIGIN}/healthz`), 'no new connections while draining')
    const response = await call
    assert.equal(response.status, 200, 'the tool call in flight completed')
    assert.match(await response.text(), /"id":2/)
    assert.deepEqual(await role.exited, { code: 0, signal: null }, role.output())
    assert.ok(Date.now() - signalled < 4000, 'drained well before SHUTDOWN_TIMEOUT_MS')
    assert.match(role.output(), /MCP sessions closed/)
    assert.doesNotMatch(role.output(), new RegExp(token.split('.')[2]!), 'never logs a token')
  } finally {
    role.kill()
    await as.close()
  }
})

test('/readyz is 503 while the AS JWKS cannot be fetched; /healthz stays 200', async () => {
  const role = await startRoleProcess({
    cwd: APP,
    env: { RS_RESOURCE: RESOURCE, AS_ISSUER: 'http://127.0.0.1:9', ALLOW_INSECURE_HTTP: 'true', AUDIT_LOG: 'off' },
    readyUrl: `${ORIGIN}/healthz`,
  })
  try {
    await assertAliveNotReady(role, ORIGIN)
  } finally {
    role.kill()
  }
})
