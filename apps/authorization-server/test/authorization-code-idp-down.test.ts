import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { CLIENT_ID, startAs, startIdp, type TestAs, type TestIdp } from './support/jwt-bearer.ts'

// Decision 0050: when the sign-in IdP cannot be used (here: a stand-in IdP that publishes keys but no
// OpenID configuration), the authorization request ends at the client with temporarily_unavailable,
// `state` and `iss`; and the interaction endpoints answer malformed input with a page, never a stack trace.

const REDIRECT_URI = 'http://127.0.0.1/callback'
let idp: TestIdp
let as: TestAs
before(async () => {
  idp = await startIdp({ clientIds: [CLIENT_ID] })
  as = await startAs([idp], {
    CLIENTS: JSON.stringify([
      {
        client_id: CLIENT_ID,
        client_secret: 'acme-agent-as-secret',
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: 'desktop',
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        redirect_uris: [REDIRECT_URI],
      },
    ]),
  })
})
after(async () => {
  await as.close()
  await idp.close()
})

/** Follows redirects within the AS (cookies by hand) until one leaves it. */
async function run(url: string): Promise<{ status: number; location?: URL; html: string }> {
  let cookie = ''
  let current = url
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(current, { redirect: 'manual', headers: { cookie } })
    cookie = [cookie, ...res.headers.getSetCookie().map((line) => line.split(';')[0])]
      .filter((part) => part !== '')
      .join('; ')
    const html = await res.text()
    const location = res.headers.get('location')
    if (location === null) return { status: res.status, html }
    const next = new URL(location, current)
    if (next.origin !== as.url) return { status: res.status, location: next, html }
    current = next.href
  }
  throw new Error('too many redirects')
}

test('decision 0050 the sign-in IdP unusable: temporarily_unavailable to the client, with state and iss', async () => {
  const url = new URL('/auth', as.url)
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: 'desktop',
    redirect_uri: REDIRECT_URI,
    state: 's-down',
    code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString()
  const end = await run(url.href)
  assert.equal(end.location?.origin, 'http://127.0.0.1')
  assert.equal(end.location?.searchParams.get('error'), 'temporarily_unavailable')
  assert.equal(end.location?.searchParams.get('state'), 's-down')
  assert.equal(end.location?.searchParams.get('iss'), as.url)
  assert.match(end.location?.searchParams.get('error_description') ?? '', /IdP/)
})

test('the interaction endpoints answer malformed or oversized input with a page, never a stack trace', async () => {
  const big = await fetch(`${as.url}/interaction/x/consent`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `csrf=${'a'.repeat(20_000)}`,
  })
  assert.equal(big.status, 413)
  assert.doesNotMatch(await big.text(), /\.(js|ts):\d+/)
  const noCookie = await fetch(`${as.url}/interaction/x/consent`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'csrf=a&decision=approve',
  })
  assert.equal(noCookie.status, 400)
  const unknown = await fetch(`${as.url}/interaction/unknown-uid`)
  assert.equal(unknown.status, 400)
  assert.match(await unknown.text(), /expired or was started in another browser/)
  const signedIn = await fetch(`${as.url}/interaction/unknown-uid/signed-in`)
  assert.equal(signedIn.status, 400)
  await signedIn.arrayBuffer()
  const resume = await fetch(`${as.url}/auth/unknown-uid`)
  assert.equal(resume.status, 400)
  assert.doesNotMatch(await resume.text(), /\.(js|ts):\d+/)
})
