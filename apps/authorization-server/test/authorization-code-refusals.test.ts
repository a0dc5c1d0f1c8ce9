import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { logInAtIdp } from '@ema/demo-kit'
import { GRANT_TYPE } from '@ema/tokens'
import {
  ALICE,
  authorizationUrl,
  Browser,
  matches,
  pkce,
  PUBLIC_CLIENT,
  redeemCode,
  useWorld,
  WEB_CLIENT,
  type Step,
  type World,
} from './support/authorization-code.ts'

// Decision 0050, SEC-08: every refusal of the authorization code flow, on the wire against the real
// IdP (each role its own process). Errors that can go to the client's redirect URI carry `state` and
// `iss` (RFC 6749 §4.1.2.1, RFC 9207); the others are an HTML page with the status, never a redirect,
// a stack trace or a token.

let world: World
useWorld((started) => (world = started))

/** A GET to the authorization endpoint with `params`, not followed. */
async function authorizeOnce(params: Record<string, string | undefined>): Promise<Step> {
  return new Browser().request(authorizationUrl(world.urls.as, params))
}

/** Asserts an error redirect to the public client with `error`, the request's state and this server's iss. */
function assertErrorRedirect(step: Step, error: string, state: string): URL {
  assert.equal(step.status, 303, `expected a redirect, got ${step.status}: ${step.html.slice(0, 300)}`)
  const location = step.location
  assert.ok(location !== undefined && matches(location, PUBLIC_CLIENT.redirectUri), `redirected to ${location?.href}`)
  // The query, or the fragment for a response type whose default response mode is `fragment`.
  const params = location.search !== '' ? location.searchParams : new URLSearchParams(location.hash.slice(1))
  assert.equal(params.get('error'), error)
  assert.equal(params.get('state'), state)
  assert.equal(params.get('iss'), world.urls.as) // RFC 9207
  assert.equal(params.get('code'), null)
  assert.ok((params.get('error_description') ?? '') !== '', 'an actionable description')
  return location
}

/** Asserts an HTML error page (no redirect to anyone) with `status` naming `pattern`. */
function assertErrorPage(step: Step, status: number, pattern: RegExp): void {
  assert.equal(step.status, status, step.html.slice(0, 300))
  assert.equal(step.location, undefined, 'no redirect')
  assert.match(step.html, pattern)
  assert.doesNotMatch(step.html, /\.(js|ts):\d+/, 'no stack trace')
}

/** Signs alice in and approves; returns a fresh code with its verifier. */
async function codeFor(params: Record<string, string> = {}): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce()
  const callback = await logInAtIdp(
    authorizationUrl(world.urls.as, { code_challenge: challenge, ...params }),
    PUBLIC_CLIENT.redirectUri,
    ALICE,
    { consent: 'approve' },
  )
  return { code: callback.searchParams.get('code') ?? '', verifier }
}

const tokenParams = (code: string, verifier: string, extra: Record<string, string> = {}) => ({
  grant_type: 'authorization_code',
  code,
  redirect_uri: PUBLIC_CLIENT.redirectUri,
  code_verifier: verifier,
  client_id: PUBLIC_CLIENT.clientId,
  ...extra,
})

async function assertTokenRefusal(res: Response, status: number, error: string): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>
  assert.equal(res.status, status, JSON.stringify(body))
  assert.equal(body.error, error)
  assert.equal(typeof body.error_description, 'string')
  assert.equal(body.access_token, undefined)
  assert.equal(res.headers.get('cache-control'), 'no-store')
  return body
}

describe('the authorization request (SEC-08, SEC-21)', () => {
  test('SEC-21 refuses a request without PKCE: invalid_request to the client, with state and iss', async () => {
    assertErrorRedirect(
      await authorizeOnce({ state: 's-no-pkce', code_challenge_method: undefined }),
      'invalid_request',
      's-no-pkce',
    )
  })

  test('SEC-21 refuses PKCE plain: invalid_request to the client, with state and iss', async () => {
    assertErrorRedirect(
      await authorizeOnce({ state: 's-plain', code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }),
      'invalid_request',
      's-plain',
    )
  })

  test('SEC-08 refuses a redirect_uri that is not registered: an error page, never a redirect to it', async () => {
    assertErrorPage(
      await authorizeOnce({ code_challenge: pkce().challenge, redirect_uri: 'http://127.0.0.1/elsewhere' }),
      400,
      /redirect_uri/,
    )
    assertErrorPage(
      await authorizeOnce({ code_challenge: pkce().challenge, redirect_uri: 'https://attacker.example/callback' }),
      400,
      /redirect_uri/,
    )
  })

  test('SEC-08 refuses a request without redirect_uri, even for a client with one registered URI', async () => {
    assertErrorPage(
      await authorizeOnce({ code_challenge: pkce().challenge, redirect_uri: undefined }),
      400,
      /redirect_uri/,
    )
  })

  test('refuses an unknown client with an error page', async () => {
    assertErrorPage(
      await authorizeOnce({ code_challenge: pkce().challenge, client_id: 'no-such-client' }),
      400,
      /invalid_client|client/,
    )
  })

  test('RFC 8707 refuses a resource that is not an MCP server here: invalid_target to the client', async () => {
    const location = assertErrorRedirect(
      await authorizeOnce({
        state: 's-target',
        code_challenge: pkce().challenge,
        resource: 'http://localhost:1/other',
      }),
      'invalid_target',
      's-target',
    )
    assert.match(location.searchParams.get('error_description') ?? '', /not an MCP server/)
  })

  test('refuses the implicit response type: unsupported_response_type to the client (in the fragment, its response mode)', async () => {
    assertErrorRedirect(
      await authorizeOnce({ state: 's-token', response_type: 'token', code_challenge: pkce().challenge }),
      'unsupported_response_type',
      's-token',
    )
  })

  test('a user the IdP refuses (wrong password) never reaches the authorization server', async () => {
    const browser = new Browser()
    const login = await browser.follow(
      authorizationUrl(world.urls.as, { code_challenge: pkce().challenge }),
      PUBLIC_CLIENT.redirectUri,
    )
    assert.equal(new URL(login.url).origin, world.urls.idp)
    const action = /<form method="post" action="([^"]+)"/.exec(login.html)?.[1] ?? ''
    const refused = await browser.follow(
      new URL(action, login.url).href,
      PUBLIC_CLIENT.redirectUri,
      new URLSearchParams({ username: 'alice', password: 'wrong' }),
    )
    assert.equal(refused.status, 401)
    assert.equal(new URL(refused.url).origin, world.urls.idp)
    assert.match(refused.html, /Wrong username or password/)
  })
})

describe('the sign-in at the IdP (SEC-08, RFC 9207)', () => {
  /** Starts an authorization and stops at the redirect to the IdP; returns the browser and the IdP request. */
  async function toIdp(state: string): Promise<{ browser: Browser; idpRequest: URL }> {
    const browser = new Browser()
    const first = await browser.request(authorizationUrl(world.urls.as, { state, code_challenge: pkce().challenge }))
    const interaction = await browser.request(first.location?.href ?? '')
    assert.equal(interaction.location?.origin, world.urls.idp)
    return { browser, idpRequest: interaction.location as URL }
  }

  test('SEC-08 the sign-in request at the IdP uses code, PKCE S256, state and nonce', async () => {
    const { idpRequest } = await toIdp('s-idp')
    const params = idpRequest.searchParams
    assert.equal(params.get('response_type'), 'code')
    assert.equal(params.get('client_id'), 'mcp-authorization-server')
    assert.equal(params.get('redirect_uri'), `${world.urls.as}/interaction/callback`)
    assert.equal(params.get('scope'), 'openid')
    assert.equal(params.get('code_challenge_method'), 'S256')
    for (const name of ['state', 'nonce', 'code_challenge']) assert.ok((params.get(name) ?? '').length >= 43, name)
    assert.notEqual(params.get('state'), 's-idp', "the client's state never goes to the IdP")
  })

  test('an IdP that refuses the sign-in (error=access_denied) ends the request with access_denied, state and iss', async () => {
    const { browser, idpRequest } = await toIdp('s-idp-denied')
    const callback = new URL('/interaction/callback', world.urls.as)
    callback.search = new URLSearchParams({
      error: 'access_denied',
      error_description: 'user is disabled',
      state: idpRequest.searchParams.get('state') ?? '',
      iss: world.urls.idp,
    }).toString()
    const end = await browser.follow(callback.href, PUBLIC_CLIENT.redirectUri)
    const location = assertErrorRedirect(end, 'access_denied', 's-idp-denied')
    assert.match(location.searchParams.get('error_description') ?? '', /IdP did not sign the user in/)
  })

  test('RFC 9207 a sign-in response naming another issuer is refused (mix-up): access_denied', async () => {
    const { browser, idpRequest } = await toIdp('s-mixup')
    const callback = new URL('/interaction/callback', world.urls.as)
    callback.search = new URLSearchParams({
      code: 'some-code',
      state: idpRequest.searchParams.get('state') ?? '',
      iss: 'http://localhost:1',
    }).toString()
    const location = assertErrorRedirect(
      await browser.follow(callback.href, PUBLIC_CLIENT.redirectUri),
      'access_denied',
      's-mixup',
    )
    assert.match(location.searchParams.get('error_description') ?? '', /RFC 9207/)
  })

  test('a forged code from the IdP is refused: access_denied', async () => {
    const { browser, idpRequest } = await toIdp('s-forged')
    const callback = new URL('/interaction/callback', world.urls.as)
    callback.search = new URLSearchParams({
      code: 'forged-code',
      state: idpRequest.searchParams.get('state') ?? '',
      iss: world.urls.idp,
    }).toString()
    assertErrorRedirect(await browser.follow(callback.href, PUBLIC_CLIENT.redirectUri), 'access_denied', 's-forged')
  })

  test('SEC-08 an unknown state, or a repeated one, is an error page', async () => {
    assertErrorPage(
      await new Browser().request(`${world.urls.as}/interaction/callback?code=x&state=unknown`),
      400,
      /unknown or has expired/,
    )
    assertErrorPage(
      await new Browser().request(`${world.urls.as}/interaction/callback?code=x&state=a&state=b`),
      400,
      /malformed/,
    )
    assertErrorPage(await new Browser().request(`${world.urls.as}/interaction/callback`), 400, /malformed/)
  })

  test('SEC-08 the IdP response replayed into another browser signs nobody in there', async () => {
    const { browser, idpRequest } = await toIdp('s-victim')
    const idpSide = new Browser()
    // The attacker completes the IdP sign-in for the victim's pending sign-in and replays the callback in another browser.
    const login = await idpSide.follow(idpRequest.href, `${world.urls.as}/interaction/callback`)
    const action = /<form method="post" action="([^"]+)"/.exec(login.html)?.[1] ?? ''
    const callback = await idpSide.follow(
      new URL(action, login.url).href,
      `${world.urls.as}/interaction/callback`,
      new URLSearchParams(ALICE),
    )
    assert.ok(callback.location !== undefined)
    const replay = await idpSide.follow(callback.location.href, PUBLIC_CLIENT.redirectUri)
    assertErrorPage(replay, 400, /expired or was started in another browser/)
    void browser
  })
})

describe('the consent screen (SEC-08)', () => {
  /** Signs alice in and stops at the consent screen. */
  async function toConsent(state: string): Promise<{ browser: Browser; consent: Step; action: string; csrf: string }> {
    const browser = new Browser()
    const login = await browser.follow(
      authorizationUrl(world.urls.as, { state, code_challenge: pkce().challenge }),
      PUBLIC_CLIENT.redirectUri,
    )
    const loginAction = /<form method="post" action="([^"]+)"/.exec(login.html)?.[1] ?? ''
    const consent = await browser.follow(
      new URL(loginAction, login.url).href,
      PUBLIC_CLIENT.redirectUri,
      new URLSearchParams(ALICE),
    )
    assert.equal(consent.status, 200)
    const action = new URL(
      /<form method="post" action="([^"]+)" data-consent>/.exec(consent.html)?.[1] ?? '',
      consent.url,
    ).href
    const csrf = /name="csrf" value="([^"]+)"/.exec(consent.html)?.[1] ?? ''
    return { browser, consent, action, csrf }
  }

  test('denied consent: access_denied to the client, with state and iss', async () => {
    const { verifier, challenge } = pkce()
    const callback = await logInAtIdp(
      authorizationUrl(world.urls.as, { state: 's-deny', code_challenge: challenge }),
      PUBLIC_CLIENT.redirectUri,
      ALICE,
      { consent: 'deny' },
    )
    assert.equal(callback.searchParams.get('error'), 'access_denied')
    assert.equal(callback.searchParams.get('state'), 's-deny')
    assert.equal(callback.searchParams.get('iss'), world.urls.as)
    assert.equal(callback.searchParams.get('code'), null)
    assert.match(callback.searchParams.get('error_description') ?? '', /denied/)
    void verifier
  })

  test("SEC-08 CSRF: a post without the token, with a wrong one, or another interaction's is refused 403; the right one works", async () => {
    const { browser, action, csrf } = await toConsent('s-csrf')
    const other = await toConsent('s-csrf-other')
    for (const token of [undefined, '', 'forged', other.csrf]) {
      const form = new URLSearchParams({ decision: 'approve', ...(token === undefined ? {} : { csrf: token }) })
      assertErrorPage(await browser.request(action, form), 403, /CSRF token/)
    }
    const done = await browser.follow(
      action,
      PUBLIC_CLIENT.redirectUri,
      new URLSearchParams({ csrf, decision: 'approve' }),
    )
    assert.equal(done.location?.searchParams.get('state'), 's-csrf')
    assert.ok((done.location?.searchParams.get('code') ?? '') !== '')
  })

  test('SEC-08 CSRF: a cross-site post (Origin or Sec-Fetch-Site) is refused 403, even with the right token', async () => {
    const { browser, action, csrf } = await toConsent('s-cross')
    const form = () => new URLSearchParams({ csrf, decision: 'approve' })
    assertErrorPage(await browser.request(action, form(), { origin: 'https://attacker.example' }), 403, /another site/)
    assertErrorPage(await browser.request(action, form(), { 'sec-fetch-site': 'cross-site' }), 403, /another site/)
    assertErrorPage(await browser.request(action, form(), { 'sec-fetch-site': 'same-site' }), 403, /another site/) // another port of localhost
  })

  test('SEC-08 the consent form posted by another browser (no interaction cookie) does nothing', async () => {
    const { action, csrf } = await toConsent('s-other-browser')
    assertErrorPage(
      await new Browser().request(action, new URLSearchParams({ csrf, decision: 'approve' })),
      400,
      /expired or was started in another browser/,
    )
  })

  test('a consent answer that is neither Approve nor Deny is refused 400', async () => {
    const { browser, action, csrf } = await toConsent('s-neither')
    assertErrorPage(
      await browser.request(action, new URLSearchParams({ csrf, decision: 'maybe' })),
      400,
      /Approve or Deny/,
    )
  })
})

describe('the token request (SEC-08, SEC-21, AS-09)', () => {
  test('SEC-21 a wrong code_verifier is invalid_grant', async () => {
    const { code } = await codeFor()
    await assertTokenRefusal(await redeemCode(world.urls.as, tokenParams(code, pkce().verifier)), 400, 'invalid_grant')
  })

  test('SEC-21 a missing code_verifier is invalid_grant', async () => {
    const { code } = await codeFor()
    const { code_verifier: _omitted, ...params } = tokenParams(code, '')
    await assertTokenRefusal(await redeemCode(world.urls.as, params), 400, 'invalid_grant')
  })

  test("SEC-08 a redirect_uri other than the authorization request's is invalid_grant", async () => {
    const { code, verifier } = await codeFor()
    await assertTokenRefusal(
      await redeemCode(world.urls.as, tokenParams(code, verifier, { redirect_uri: 'http://127.0.0.1/other' })),
      400,
      'invalid_grant',
    )
  })

  test('RFC 6749 §4.1.2 a replayed code is invalid_grant', async () => {
    const { code, verifier } = await codeFor()
    const first = await redeemCode(world.urls.as, tokenParams(code, verifier))
    assert.equal(first.status, 200)
    await first.arrayBuffer()
    await assertTokenRefusal(await redeemCode(world.urls.as, tokenParams(code, verifier)), 400, 'invalid_grant')
  })

  test('a code issued to another client is invalid_grant', async () => {
    const { code, verifier } = await codeFor()
    await assertTokenRefusal(
      await redeemCode(
        world.urls.as,
        { grant_type: 'authorization_code', code, redirect_uri: PUBLIC_CLIENT.redirectUri, code_verifier: verifier },
        WEB_CLIENT,
      ),
      400,
      'invalid_grant',
    )
  })

  test('an unknown client at the token endpoint is 401 invalid_client', async () => {
    const { code, verifier } = await codeFor()
    await assertTokenRefusal(
      await redeemCode(world.urls.as, tokenParams(code, verifier, { client_id: 'no-such-client' })),
      401,
      'invalid_client',
    )
  })

  test('AS-09 SEC-14 a public interactive client may not use jwt-bearer or the token exchange: unauthorized_client', async () => {
    const jwtBearer = await redeemCode(world.urls.as, {
      grant_type: GRANT_TYPE.JWT_BEARER,
      assertion: 'x.y.z',
      client_id: PUBLIC_CLIENT.clientId,
    })
    const body = await assertTokenRefusal(jwtBearer, 400, 'unauthorized_client')
    assert.match(String(body.error_description), /only the authorization code flow/)
    await assertTokenRefusal(
      await redeemCode(world.urls.as, {
        grant_type: GRANT_TYPE.TOKEN_EXCHANGE,
        subject_token: 'x',
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        client_id: PUBLIC_CLIENT.clientId,
      }),
      400,
      'unauthorized_client',
    )
  })
})

test('SEC-05 CL-34 the roles never log a code, a token, a state or a secret of these flows', async () => {
  const { code, verifier } = await codeFor()
  const res = await redeemCode(world.urls.as, tokenParams(code, verifier))
  const accessToken = String(((await res.json()) as Record<string, unknown>).access_token)
  const output = world.roles.output()
  assert.match(output, /issued an access token/)
  for (const secret of [
    code,
    verifier,
    accessToken,
    accessToken.split('.')[1] ?? '-',
    'test-as-at-idp-secret',
    'tasks-web-secret',
  ]) {
    assert.ok(!output.includes(secret), 'a secret value appeared in the logs')
  }
})
