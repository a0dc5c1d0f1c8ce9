import assert from 'node:assert/strict'
import { test } from 'node:test'
import { listen } from '@ema/server-kit'
import { createClientApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'

const SECRET = 'client-demo-reset-secret-for-tests'

/** Acme Agent on an ephemeral port; its outgoing requests are recorded, and every one fails but /demo/reset. */
async function startClient(env: Record<string, string>) {
  const listening = await listen({ port: 0 })
  const config = loadConfig({ ALLOW_INSECURE_HTTP: 'true', CLIENT_URL: listening.url, ...env })
  const sent: Array<{ url: string; authorization: string | null }> = []
  const fakeFetch: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    sent.push({ url, authorization: new Headers(init?.headers).get('authorization') })
    if (url.endsWith('/demo/reset')) return Response.json({ reset: ['ok'] })
    throw new TypeError('fetch failed')
  }
  listening.server.on('request', createClientApp(config, { fetch: fakeFetch, now: () => new Date() }))
  return { url: listening.url, sent, close: () => listening.close() }
}

/** A session here: "Sign in" creates one even when the IdP cannot be reached. Returns its cookie. */
async function newSession(url: string): Promise<string> {
  const response = await fetch(`${url}/login`, { method: 'POST', redirect: 'manual' })
  const cookie = response.headers.get('set-cookie')?.split(';')[0]
  assert.ok(cookie !== undefined)
  return cookie
}

async function eventsStatus(url: string, cookie: string): Promise<number> {
  const controller = new AbortController()
  const response = await fetch(`${url}/events`, { headers: { cookie }, signal: controller.signal })
  controller.abort()
  return response.status
}

test('POST /demo/reset and POST /reset are JSON 404s when DEMO_RESET is off, and the page has no reset button', async () => {
  const client = await startClient({})
  try {
    const reset = await fetch(`${client.url}/demo/reset`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}` },
    })
    assert.equal(reset.status, 404)
    assert.equal(((await reset.json()) as { error: string }).error, 'not_found')
    assert.equal((await fetch(`${client.url}/reset`, { method: 'POST', redirect: 'manual' })).status, 404)
    assert.doesNotMatch(await (await fetch(client.url)).text(), /Reset the demo/)
  } finally {
    await client.close()
  }
})

test('POST /demo/reset: a wrong secret → 401 and the session stays; the right one ends every session', async () => {
  const client = await startClient({ DEMO_RESET: 'true', DEMO_RESET_SECRET: SECRET })
  try {
    const cookie = await newSession(client.url)
    assert.equal(await eventsStatus(client.url, cookie), 200)
    const wrong = await fetch(`${client.url}/demo/reset`, { method: 'POST', headers: { authorization: 'Bearer x' } })
    assert.equal(wrong.status, 401)
    assert.equal(await eventsStatus(client.url, cookie), 200)
    const ok = await fetch(`${client.url}/demo/reset`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}` },
    })
    assert.equal(ok.status, 200)
    assert.deepEqual(await ok.json(), { reset: ['client: 1 session(s) ended'] })
    assert.equal(await eventsStatus(client.url, cookie), 204, 'the session is gone')
  } finally {
    await client.close()
  }
})

test("the page's Reset button calls every role's /demo/reset with the secret (server-side), ends the sessions; another origin → 403", async () => {
  const client = await startClient({
    DEMO_RESET: 'true',
    DEMO_RESET_SECRET: SECRET,
    IDP_ISSUER: 'https://idp.test',
    AS_ISSUER: 'https://as.test',
    TASKS_API_URL: 'https://tasks.test',
  })
  try {
    const page = await (await fetch(client.url)).text()
    assert.match(page, /Reset the demo/)
    assert.doesNotMatch(page, new RegExp(SECRET), 'the secret never reaches the browser')
    const cookie = await newSession(client.url)
    client.sent.length = 0
    const foreign = await fetch(`${client.url}/reset`, {
      method: 'POST',
      headers: { origin: 'http://evil.test', cookie },
      redirect: 'manual',
    })
    assert.equal(foreign.status, 403)
    const crossSite = await fetch(`${client.url}/reset`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'cross-site', cookie },
      redirect: 'manual',
    })
    assert.equal(crossSite.status, 403)
    assert.equal(client.sent.length, 0)
    const response = await fetch(`${client.url}/reset`, {
      method: 'POST',
      headers: { origin: client.url, cookie },
      redirect: 'manual',
    })
    assert.equal(response.status, 303)
    assert.equal(response.headers.get('location'), '/?reset=done')
    assert.deepEqual(client.sent, [
      { url: 'https://idp.test/demo/reset', authorization: `Bearer ${SECRET}` },
      { url: 'https://as.test/demo/reset', authorization: `Bearer ${SECRET}` },
      { url: 'https://tasks.test/demo/reset', authorization: `Bearer ${SECRET}` },
    ])
    assert.equal(await eventsStatus(client.url, cookie), 204)
    assert.match(await (await fetch(`${client.url}/?reset=done`)).text(), /data-testid="reset-notice"/)
  } finally {
    await client.close()
  }
})
