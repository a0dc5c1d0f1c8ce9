import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { listen } from '@ema/server-kit'
import { generateSigningKey, publicJwks, signAccessToken } from '@ema/tokens'
import { assertAliveNotReady, startRoleProcess } from '@ema/test-kit'
import { ACT, ALICE, MCP_SERVER } from './support/tasks-api.ts'

// Process tests: the real main.ts, on ports 5730–5760.
const APP = fileURLToPath(new URL('..', import.meta.url))
const PORT = 5731
const URL_ = `http://localhost:${PORT}`

test('SIGTERM while a request is in flight: no new connections, the request completes, exit 0; /readyz follows the AS JWKS', async () => {
  const key = await generateSigningKey()
  let jwksDelayMs = 0
  const as = await listen({ port: 0 }, (req, res) => {
    if (req.url !== '/jwks') return void res.writeHead(404).end()
    setTimeout(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(publicJwks([key]))),
      jwksDelayMs,
    )
  })
  const role = await startRoleProcess({
    cwd: APP,
    env: { TASKS_API_URL: URL_, AS_ISSUER: as.url, ALLOW_INSECURE_HTTP: 'true', SHUTDOWN_TIMEOUT_MS: '5000' },
    readyUrl: `${URL_}/healthz`,
  })
  try {
    assert.equal((await fetch(`${URL_}/healthz`)).status, 200)
    assert.equal((await fetch(`${URL_}/readyz`)).status, 200, 'the AS JWKS is fetchable')
    const token = await signAccessToken({
      issuer: as.url,
      subject: ALICE,
      audience: URL_,
      clientId: MCP_SERVER,
      scope: 'tasks.read tasks.write',
      expiresInSeconds: 300,
      now: new Date(),
      key,
      extraClaims: { act: ACT },
    })
    // The first verification fetches the JWKS, which now takes 1.5 s: the request is in flight meanwhile.
    jwksDelayMs = 1500
    const inFlight = fetch(`${URL_}/whoami`, { headers: { authorization: `Bearer ${token}` } })
    await new Promise((resolve) => setTimeout(resolve, 400))
    role.child.kill('SIGTERM')
    await new Promise((resolve) => setTimeout(resolve, 200))
    await assert.rejects(fetch(`${URL_}/healthz`), 'no new connections while draining')
    const response = await inFlight
    assert.equal(response.status, 200, 'the request in flight completed')
    assert.equal(((await response.json()) as { sub?: string }).sub, ALICE)
    assert.deepEqual(await role.exited, { code: 0, signal: null }, role.output())
    assert.doesNotMatch(role.output(), new RegExp(token.split('.')[2]!), 'never logs a token')
  } finally {
    role.kill()
    await as.close()
  }
})

test('/readyz is 503 while the AS JWKS cannot be fetched; /healthz stays 200', async () => {
  const role = await startRoleProcess({
    cwd: APP,
    env: { TASKS_API_URL: URL_, AS_ISSUER: 'http://127.0.0.1:9', ALLOW_INSECURE_HTTP: 'true' },
    readyUrl: `${URL_}/healthz`,
  })
  try {
    await assertAliveNotReady(role, URL_)
  } finally {
    role.kill()
  }
})
