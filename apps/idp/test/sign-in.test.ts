import assert from 'node:assert/strict'
import { test } from 'node:test'
import { logInAtIdp } from '@ema/demo-kit'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { ACME_AGENT, authenticate, REDIRECT_URI, type TestIdp, useIdp, idTokenOf } from './support/idp.ts'

let idp: TestIdp
useIdp((started) => (idp = started))

test('sign-in: alice signs in with code + PKCE and gets an ES256 ID token with sub, name, email, groups', async () => {
  const idToken = await idTokenOf(idp, 'alice')
  assert.equal(decodeProtectedHeader(idToken).alg, 'ES256')
  const claims = decodeJwt(idToken)
  assert.equal(claims.iss, idp.url)
  assert.equal(claims.aud, 'acme-agent')
  assert.equal(claims.sub, 'u-1001')
  assert.equal(claims.name, 'Alice Anderson')
  assert.equal(claims.email, 'alice@acme.example')
  assert.deepEqual(claims.groups, ['engineering'])
  assert.equal(typeof claims.auth_time, 'number')
})

test('sign-in: the login page names Acme SSO, labels its inputs and lists the demo users', async () => {
  const auth = new URL('/auth', idp.url)
  auth.search = new URLSearchParams({
    client_id: 'acme-agent',
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).toString()
  const start = await fetch(auth, { redirect: 'manual' })
  const location = start.headers.get('location')
  assert.ok(location !== null && location.startsWith('/interaction/'), `redirected to the interaction, got ${location}`)
  const cookie = start.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ')
  const page = await fetch(new URL(location, idp.url), { headers: { cookie } })
  const html = await page.text()
  assert.equal(page.status, 200)
  assert.match(html, /<h1>Acme SSO<\/h1>/)
  assert.match(html, /<label for="username">Username<\/label>/)
  assert.match(html, /<label for="password">Password<\/label>/)
  assert.match(html, /<button type="submit">Sign in<\/button>/)
  for (const user of ['alice', 'bob', 'carol'])
    assert.match(html, new RegExp(`<td>${user}</td><td><code>${user}-password</code>`))

  const wrong = await fetch(new URL(`${location}/login`, idp.url), {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'alice', password: 'not-her-password' }),
    redirect: 'manual',
  })
  assert.equal(wrong.status, 401)
  assert.match(await wrong.text(), /Wrong username or password/)
})

test('sign-in: PKCE is required', async () => {
  const auth = new URL('/auth', idp.url)
  auth.search = new URLSearchParams({
    client_id: 'acme-agent',
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
  }).toString()
  const res = await fetch(auth, { redirect: 'manual' })
  const location = new URL(res.headers.get('location') ?? '', idp.url)
  assert.equal(location.searchParams.get('error'), 'invalid_request')
  assert.match(location.searchParams.get('error_description') ?? '', /PKCE/)
})

test('an unknown interaction gets a plain error page, never a stack trace', async () => {
  const res = await fetch(`${idp.url}/interaction/does-not-exist`)
  assert.ok(res.status >= 400 && res.status < 500, String(res.status))
  const html = await res.text()
  assert.match(html, /Sign-in cannot continue \(HTTP \d{3}\)/)
  assert.doesNotMatch(html, /at [\w.<>]+ \(|node_modules|Error:/)
})

test('sign-in: RFC 6749 §3.3 an authorization request without scope (or with an empty one) is processed with the default scope openid', async () => {
  for (const scope of [undefined, '']) {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
    const auth = new URL('/auth', idp.url)
    auth.search = new URLSearchParams({
      client_id: 'acme-agent',
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      state: 's',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      ...(scope === undefined ? {} : { scope }),
    }).toString()
    const callback = await logInAtIdp(auth.href, REDIRECT_URI, { username: 'alice', password: 'alice-password' })
    assert.equal(callback.searchParams.get('error'), null, callback.searchParams.get('error_description') ?? '')
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    })
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
    await authenticate(idp, ACME_AGENT, body, headers)
    const response = await fetch(`${idp.url}/token`, { method: 'POST', headers, body })
    assert.equal(response.status, 200)
    const tokens = (await response.json()) as { scope?: string; id_token?: string }
    assert.equal(tokens.scope, 'openid')
    assert.equal(decodeJwt(tokens.id_token ?? '').sub, 'u-1001')
  }
})
