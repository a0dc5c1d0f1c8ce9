import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { afterEach, test } from 'node:test'
import { clientSecretBasic, describeTokenResponse, logInAtIdp, signInAtIdp } from '../src/index.ts'
import { fakeIdp, type FakeIdp, type Handler } from './support/fake-idp.ts'

const REDIRECT_URI = 'http://client.invalid/callback'
const LOGIN_FORM =
  '<html><body><h1>Sign in</h1><form method="post" action="/interaction/1/login"><input name="username"><input name="password"></form></body></html>'
const alice = { username: 'alice', password: 'alice-password' }

let idp: FakeIdp | undefined
afterEach(async () => {
  await idp?.close()
  idp = undefined
})

const redirect = (response: Parameters<Handler>[1], location: string, cookie?: string) => {
  response.writeHead(303, { location, ...(cookie === undefined ? {} : { 'set-cookie': cookie }) }).end()
}

/** oidc-provider's dance: /auth → login page → form post → /auth/1 → a consent interaction completed on GET → the redirect URI. */
const anIdp = (
  overrides: {
    loginPage?: string
    token?: (body: URLSearchParams, authorization: string | undefined) => [number, unknown]
    callback?: (auth: URLSearchParams) => string
  } = {},
): Handler => {
  let authorization = new URLSearchParams()
  return (request, response) => {
    const url = new URL(request.url ?? '/', 'http://idp.invalid')
    if (request.method === 'GET' && url.pathname === '/auth') {
      authorization = url.searchParams
      return redirect(response, '/interaction/1', '_interaction=i1; path=/interaction/1; httponly')
    }
    if (request.method === 'GET' && url.pathname === '/interaction/1') {
      if (request.headers.cookie !== '_interaction=i1') return void response.writeHead(400).end('no interaction cookie')
      return void response.writeHead(200, { 'content-type': 'text/html' }).end(overrides.loginPage ?? LOGIN_FORM)
    }
    if (request.method === 'POST' && url.pathname === '/interaction/1/login') {
      const form = new URLSearchParams(request.body)
      if (form.get('username') !== 'alice' || form.get('password') !== 'alice-password')
        return void response.writeHead(401).end(LOGIN_FORM)
      return redirect(response, '/auth/1', '_session=s1; path=/; httponly')
    }
    if (request.method === 'GET' && url.pathname === '/auth/1')
      return redirect(
        response,
        '/interaction/2',
        '_interaction=; path=/interaction/1; expires=Thu, 01 Jan 1970 00:00:00 GMT',
      )
    if (request.method === 'GET' && url.pathname === '/interaction/2') {
      const callback = overrides.callback?.(authorization) ?? `code=the-code&state=${authorization.get('state') ?? ''}`
      return redirect(response, `${REDIRECT_URI}?${callback}`)
    }
    if (request.method === 'POST' && url.pathname === '/token') {
      const [status, json] = overrides.token?.(new URLSearchParams(request.body), request.headers.authorization) ?? [
        200,
        { id_token: 'the-id-token' },
      ]
      return void response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json))
    }
    response.writeHead(404).end()
  }
}

test('logInAtIdp follows the redirects, posts the login form with the cookies, and returns the redirect URI unrequested', async () => {
  idp = await fakeIdp(anIdp())
  const callback = await logInAtIdp(`${idp.url}/auth?state=s`, REDIRECT_URI, alice)
  assert.equal(`${callback.origin}${callback.pathname}`, REDIRECT_URI)
  assert.equal(callback.searchParams.get('code'), 'the-code')
  assert.equal(callback.searchParams.get('state'), 's')
  assert.deepEqual(
    idp.requests.map((r) => `${r.method} ${r.url.split('?')[0]} ${r.cookie ?? ''}`),
    [
      'GET /auth ',
      'GET /interaction/1 _interaction=i1',
      'POST /interaction/1/login _interaction=i1',
      'GET /auth/1 _interaction=i1; _session=s1',
      'GET /interaction/2 _session=s1',
    ],
  )
  assert.equal(new URLSearchParams(idp.requests[2]?.body).get('password'), 'alice-password')
})

test('logInAtIdp refuses a page without the login form', async () => {
  idp = await fakeIdp(anIdp({ loginPage: '<html><body>Something went wrong</body></html>' }))
  await assert.rejects(
    logInAtIdp(`${idp.url}/auth`, REDIRECT_URI, alice),
    /expected the login form at http:\/\/127\.0\.0\.1:\d+\/interaction\/1/,
  )
  assert.equal(idp.requests.filter((r) => r.method === 'POST').length, 0)
})

test('logInAtIdp refuses an IdP that redirects to the client before any login form', async () => {
  idp = await fakeIdp((_request, response) => redirect(response, `${REDIRECT_URI}?code=too-early`))
  await assert.rejects(logInAtIdp(`${idp.url}/auth`, REDIRECT_URI, alice), /skipped its login page/)
})

test('logInAtIdp reports a refused password with its status', async () => {
  idp = await fakeIdp(anIdp())
  await assert.rejects(
    logInAtIdp(`${idp.url}/auth`, REDIRECT_URI, { username: 'alice', password: 'wrong' }),
    /unexpected 401 at .*\/interaction\/1\/login/,
  )
})

test('signInAtIdp sends PKCE S256, scope and prompt, authenticates the client at /token and returns the tokens', async () => {
  let challenge: string | null = null
  let authorize = new URLSearchParams()
  idp = await fakeIdp(
    anIdp({
      callback: (auth) => {
        authorize = auth
        challenge = auth.get('code_challenge')
        return `code=the-code&state=${auth.get('state') ?? ''}`
      },
      token: (body, authorization) => {
        const verifier = body.get('code_verifier') ?? ''
        if (createHash('sha256').update(verifier).digest('base64url') !== challenge)
          return [400, { error: 'invalid_grant' }]
        if (authorization !== `Basic ${Buffer.from('acme-agent:s3cret').toString('base64')}`)
          return [401, { error: 'invalid_client' }]
        if (
          body.get('code') !== 'the-code' ||
          body.get('redirect_uri') !== REDIRECT_URI ||
          body.get('extra') !== 'added'
        )
          return [400, { error: 'invalid_request' }]
        return [200, { id_token: 'id', access_token: 'at', refresh_token: 'rt', token_type: 'Bearer' }]
      },
    }),
  )
  const basic = clientSecretBasic('acme-agent', 's3cret')
  const tokens = await signInAtIdp({
    idp: idp.url,
    clientId: 'acme-agent',
    redirectUri: REDIRECT_URI,
    scope: 'openid offline_access',
    prompt: 'consent',
    ...alice,
    clientAuth: async (headers, body) => {
      await basic(headers, body)
      body.set('extra', 'added')
    },
  })
  assert.deepEqual(tokens, { id_token: 'id', access_token: 'at', refresh_token: 'rt' })
  assert.equal(authorize.get('code_challenge_method'), 'S256')
  assert.equal(authorize.get('scope'), 'openid offline_access')
  assert.equal(authorize.get('prompt'), 'consent')
  assert.equal(authorize.get('client_id'), 'acme-agent')
  assert.ok((authorize.get('nonce') ?? '').length > 0)
})

test('signInAtIdp refuses a state mismatch, an error on the redirect URI and a failed code exchange', async () => {
  const options = (url: string) => ({
    idp: url,
    clientId: 'c',
    redirectUri: REDIRECT_URI,
    ...alice,
    clientAuth: () => {},
  })
  idp = await fakeIdp(anIdp({ callback: () => 'code=x&state=forged' }))
  await assert.rejects(signInAtIdp(options(idp.url)), /state mismatch/)
  await idp.close()
  idp = await fakeIdp(anIdp({ callback: () => 'error=access_denied&error_description=no' }))
  await assert.rejects(signInAtIdp(options(idp.url)), /refused the sign-in: access_denied no/)
  await idp.close()
  idp = await fakeIdp(anIdp({ token: () => [401, { error: 'invalid_client' }] }))
  await assert.rejects(signInAtIdp(options(idp.url)), /code exchange failed: HTTP 401 invalid_client/)
})

test('describeTokenResponse never repeats a token: an error is named, an unexpected 200 shows member names only', () => {
  assert.equal(
    describeTokenResponse(400, { error: 'invalid_grant', error_description: 'the ID-JAG has expired' }),
    'HTTP 400 invalid_grant: the ID-JAG has expired',
  )
  const described = describeTokenResponse(200, { access_token: 'eyJ.secret.sig', token_type: 'N_A' })
  assert.equal(described, 'HTTP 200 with members access_token, token_type')
  assert.doesNotMatch(described, /secret/)
  assert.equal(describeTokenResponse(502, 'Bad Gateway'), 'HTTP 502, a body that is not a JSON object')
})
