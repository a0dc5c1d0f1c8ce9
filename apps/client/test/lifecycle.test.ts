import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { listen } from '@ema/server-kit'
import { startRoleProcess } from '@ema/test-kit'

// A process test: the real main.ts, on ports 5730–5760.
const APP = fileURLToPath(new URL('..', import.meta.url))
const PORT = 5733
const CLIENT = `http://localhost:${PORT}`

test('/readyz follows the IdP discovery; SIGTERM during a sign-in: /events ends at once, the request completes, exit 0', async () => {
  // The test plays the IdP's discovery: failing, then answering, then answering after 1.5 s.
  let mode: 'fail' | 'ok' | 'slow' = 'fail'
  const idp = await listen({ port: 0 }, (req, res) => {
    if (req.url !== '/.well-known/openid-configuration') return void res.writeHead(404).end()
    if (mode === 'fail') return void res.writeHead(500).end()
    const body = JSON.stringify({
      issuer: idp.url,
      authorization_endpoint: `${idp.url}/authorize`,
      token_endpoint: `${idp.url}/token`,
      jwks_uri: `${idp.url}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      code_challenge_methods_supported: ['S256'],
    })
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(body), mode === 'slow' ? 1500 : 0)
  })
  const role = await startRoleProcess({
    cwd: APP,
    env: {
      CLIENT_URL: CLIENT,
      IDP_ISSUER: idp.url,
      AS_ISSUER: 'http://localhost:5758',
      RS_RESOURCE: 'http://localhost:5759/mcp',
      ALLOW_INSECURE_HTTP: 'true',
      SHUTDOWN_TIMEOUT_MS: '6000',
    },
    readyUrl: `${CLIENT}/healthz`,
  })
  try {
    assert.equal((await fetch(`${CLIENT}/healthz`)).status, 200)
    assert.equal((await fetch(`${CLIENT}/readyz`)).status, 503, 'the IdP discovery fails')
    // A first sign-in fails at discovery, but leaves a session (its cookie) for /events.
    const first = await fetch(`${CLIENT}/login`, { redirect: 'manual' })
    assert.equal(first.status, 303)
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!
    mode = 'ok'
    assert.equal((await fetch(`${CLIENT}/readyz`)).status, 200, 'the IdP discovery answers')
    const events = await fetch(`${CLIENT}/events`, { headers: { cookie } })
    assert.equal(events.status, 200)
    mode = 'slow'
    const signIn = fetch(`${CLIENT}/login`, { headers: { cookie }, redirect: 'manual' })
    await new Promise((resolve) => setTimeout(resolve, 400))
    const signalled = Date.now()
    role.child.kill('SIGTERM')
    await events.text() // ends: the drain ended it
    await new Promise((resolve) => setTimeout(resolve, 100))
    await assert.rejects(fetch(`${CLIENT}/healthz`), 'no new connections while draining')
    const response = await signIn
    assert.equal(response.status, 303, 'the sign-in in flight completed')
    assert.ok(response.headers.get('location')!.startsWith(`${idp.url}/authorize?`), 'on to the IdP')
    assert.deepEqual(await role.exited, { code: 0, signal: null }, role.output())
    assert.ok(Date.now() - signalled < 4000, 'drained well before SHUTDOWN_TIMEOUT_MS')
  } finally {
    role.kill()
    await idp.close()
  }
})
