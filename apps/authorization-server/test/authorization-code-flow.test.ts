import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { clientSecretBasic, logInAtIdp, signInAtIdp } from '@ema/demo-kit'
import { GRANT_TYPE, JWT_TYP, TOKEN_TYPE } from '@ema/tokens'
import {
  ALICE,
  authorizationUrl,
  Browser,
  callTool,
  claimsOf,
  EMA_CLIENT,
  headerOf,
  pkce,
  PUBLIC_CLIENT,
  redeemCode,
  useWorld,
  WEB_CLIENT,
  type World,
} from './support/authorization-code.ts'

// Decision 0050: the authorization code flow of the MCP authorization server, on the wire, against the
// real IdP and the real MCP server (each its own process): authorize → sign-in at the IdP → consent →
// code → token with PKCE → the MCP server accepts the token exactly like a jwt-bearer one (CL-09).

let world: World
useWorld((started) => (world = started))

/** Runs the whole browser part for `client` and returns the authorization response at its redirect URI. */
async function authorize(
  params: Record<string, string | undefined>,
  options: { consent?: 'approve' | 'deny'; redirectUri?: string } = {},
): Promise<URL> {
  return logInAtIdp(authorizationUrl(world.urls.as, params), options.redirectUri ?? PUBLIC_CLIENT.redirectUri, ALICE, {
    consent: options.consent ?? 'approve',
  })
}

describe('the whole flow (CL-09, decision 0050)', () => {
  test('AS-37 AS-19 a public client gets an RFC 9068 access token through sign-in at the IdP and consent, and the MCP server accepts it', async () => {
    const { verifier, challenge } = pkce()
    const state = 'state-public-1'
    const callback = await authorize({
      code_challenge: challenge,
      state,
      scope: 'tasks.read tasks.write',
      resource: world.urls.rs,
    })
    // RFC 6749 §4.1.2, RFC 9207 §2 (CL-47): code, the client's state, and this server's issuer.
    assert.equal(callback.searchParams.get('state'), state)
    assert.equal(callback.searchParams.get('iss'), world.urls.as)
    assert.equal(callback.searchParams.get('error'), null)
    const code = callback.searchParams.get('code')
    assert.ok(code !== null && code !== '')

    const res = await redeemCode(world.urls.as, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: PUBLIC_CLIENT.redirectUri,
      code_verifier: verifier,
      client_id: PUBLIC_CLIENT.clientId,
    })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('cache-control'), 'no-store') // AS-35
    assert.match(res.headers.get('content-type') ?? '', /application\/json/)
    const body = (await res.json()) as Record<string, unknown>
    // The jwt-bearer grant's response shape (AS-35, AS-36), no refresh_token and no id_token (decision 0050).
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'resource', 'scope', 'token_type'])
    assert.equal(body.token_type, 'Bearer')
    assert.equal(body.scope, 'tasks.read tasks.write')
    assert.equal(body.resource, world.urls.rs)
    assert.equal(body.expires_in, 600) // AS-39

    const accessToken = String(body.access_token)
    assert.equal(headerOf(accessToken).typ, JWT_TYP.ACCESS_TOKEN)
    const claims = claimsOf(accessToken)
    assert.equal(claims.iss, world.urls.as)
    assert.equal(claims.aud, world.urls.rs) // AS-37
    assert.equal(claims.sub, 'acme|u-1001') // AS-19, AS-40: the local subject, as jwt-bearer resolves it
    assert.equal(claims.client_id, PUBLIC_CLIENT.clientId)
    assert.equal(claims.scope, 'tasks.read tasks.write')
    assert.equal(claims.idp, world.urls.idp)
    assert.equal(claims.idp_sub, 'u-1001')

    const whoami = await callTool(world.urls.rs, accessToken, 'whoami')
    assert.equal(whoami.status, 200)
    assert.equal(whoami.result?.subject, 'acme|u-1001')
    assert.equal(whoami.result?.client_id, PUBLIC_CLIENT.clientId)
    assert.equal(whoami.result?.issuer, world.urls.as)
    const tasks = await callTool(world.urls.rs, accessToken, 'list_tasks')
    assert.equal(tasks.status, 200)
    assert.ok(Array.isArray(tasks.result?.tasks))
  })

  test('AS-19 the same user through the EMA flow (ID-JAG, jwt-bearer) is the same subject at the MCP server', async () => {
    const signIn = await signInAtIdp({
      idp: world.urls.idp,
      clientId: 'acme-agent',
      redirectUri: `${world.urls.client}/callback`,
      username: ALICE.username,
      password: ALICE.password,
      clientAuth: clientSecretBasic('acme-agent', 'acme-agent-idp-secret'),
    })
    const exchange = await fetch(`${world.urls.idp}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('acme-agent:acme-agent-idp-secret').toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: GRANT_TYPE.TOKEN_EXCHANGE,
        requested_token_type: TOKEN_TYPE.ID_JAG,
        audience: world.urls.as,
        resource: world.urls.rs,
        scope: 'tasks.read',
        subject_token: signIn.id_token,
        subject_token_type: TOKEN_TYPE.ID_TOKEN,
      }),
    })
    assert.equal(exchange.status, 200)
    const idJag = String(((await exchange.json()) as Record<string, unknown>).access_token)
    const redemption = await fetch(`${world.urls.as}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${EMA_CLIENT.clientId}:${EMA_CLIENT.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: GRANT_TYPE.JWT_BEARER, assertion: idJag }),
    })
    assert.equal(redemption.status, 200) // the EMA client works unchanged next to the interactive ones
    const emaToken = String(((await redemption.json()) as Record<string, unknown>).access_token)
    const ema = await callTool(world.urls.rs, emaToken, 'whoami')
    assert.equal(ema.result?.subject, 'acme|u-1001')
    // One access-token format: the same claim names in both tokens.
    const { verifier, challenge } = pkce()
    const callback = await authorize({ code_challenge: challenge })
    const res = await redeemCode(world.urls.as, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') ?? '',
      redirect_uri: PUBLIC_CLIENT.redirectUri,
      code_verifier: verifier,
      client_id: PUBLIC_CLIENT.clientId,
    })
    const interactiveToken = String(((await res.json()) as Record<string, unknown>).access_token)
    assert.deepEqual(Object.keys(claimsOf(interactiveToken)).sort(), Object.keys(claimsOf(emaToken)).sort())
    assert.deepEqual(headerOf(interactiveToken), { ...headerOf(emaToken) })
  })

  test('RFC 6749 §3.3 RFC 8707 a confidential client that names no scope and no resource gets every scope of the only MCP server', async () => {
    const { verifier, challenge } = pkce()
    const callback = await authorize(
      { client_id: WEB_CLIENT.clientId, redirect_uri: WEB_CLIENT.redirectUri, code_challenge: challenge },
      { redirectUri: WEB_CLIENT.redirectUri },
    )
    const code = callback.searchParams.get('code') ?? ''
    const res = await redeemCode(
      world.urls.as,
      { grant_type: 'authorization_code', code, redirect_uri: WEB_CLIENT.redirectUri, code_verifier: verifier },
      WEB_CLIENT,
    )
    assert.equal(res.status, 200)
    const body = (await res.json()) as Record<string, unknown>
    assert.equal(body.scope, 'tasks.read tasks.write')
    assert.equal(claimsOf(String(body.access_token)).aud, world.urls.rs)
    assert.equal(claimsOf(String(body.access_token)).client_id, WEB_CLIENT.clientId)
  })

  test('the consent screen names the client, the MCP server and the scopes, HTML-escaped, with Approve and Deny', async () => {
    const browser = new Browser()
    const login = await browser.follow(
      authorizationUrl(world.urls.as, { code_challenge: pkce().challenge, scope: 'tasks.read' }),
      PUBLIC_CLIENT.redirectUri,
    )
    const action = /<form method="post" action="([^"]+)"/.exec(login.html)?.[1] ?? ''
    const consent = await browser.follow(
      new URL(action, login.url).href,
      PUBLIC_CLIENT.redirectUri,
      new URLSearchParams(ALICE),
    )
    assert.equal(consent.status, 200)
    assert.ok(consent.html.includes('Tasks &#60;Desktop&#62; &#38; &#34;Co&#34;'), 'the client name, escaped')
    assert.ok(!consent.html.includes('<Desktop>'), 'never the raw client name')
    assert.ok(consent.html.includes(world.urls.rs))
    assert.ok(consent.html.includes('<code>tasks.read</code>'))
    assert.ok(!consent.html.includes('<code>tasks.write</code>'), 'only the scopes asked for')
    assert.match(consent.html, /value="approve">Approve<\/button>/)
    assert.match(consent.html, /value="deny">Deny<\/button>/)
    assert.match(consent.html, /Signed in as <code>u-1001<\/code>/)
  })

  test('consent is remembered for the session: a web client is not asked again; a native client is, with the scopes it holds', async () => {
    const browser = new Browser()
    const run = async (client: { clientId: string; redirectUri: string }) => {
      const start = await browser.follow(
        authorizationUrl(world.urls.as, {
          client_id: client.clientId,
          redirect_uri: client.redirectUri,
          code_challenge: pkce().challenge,
          scope: 'tasks.read',
        }),
        client.redirectUri,
      )
      if (start.html.includes('Acme SSO')) {
        const action = /<form method="post" action="([^"]+)"/.exec(start.html)?.[1] ?? ''
        return browser.follow(new URL(action, start.url).href, client.redirectUri, new URLSearchParams(ALICE))
      }
      return start
    }
    const approve = async (page: { url: string; html: string }, redirectUri: string) => {
      const action = new URL(/<form method="post" action="([^"]+)" data-consent>/.exec(page.html)?.[1] ?? '', page.url)
        .href
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1] ?? ''
      return browser.follow(action, redirectUri, new URLSearchParams({ csrf, decision: 'approve' }))
    }
    const webFirst = await run(WEB_CLIENT)
    assert.equal(webFirst.status, 200, 'the first time: the consent screen')
    assert.ok((await approve(webFirst, WEB_CLIENT.redirectUri)).location?.searchParams.has('code'))
    const webAgain = await run(WEB_CLIENT)
    assert.ok(
      webAgain.location?.searchParams.has('code'),
      'the second time: straight back with a code, no sign-in, no consent',
    )
    const nativeFirst = await run(PUBLIC_CLIENT)
    assert.equal(nativeFirst.status, 200)
    assert.ok((await approve(nativeFirst, PUBLIC_CLIENT.redirectUri)).location?.searchParams.has('code'))
    const nativeAgain = await run(PUBLIC_CLIENT)
    assert.equal(nativeAgain.status, 200, 'oidc-provider asks native clients every time')
    assert.ok(nativeAgain.html.includes('<code>tasks.read</code>'), 'listing what the client holds')
    assert.ok((await approve(nativeAgain, PUBLIC_CLIENT.redirectUri)).location?.searchParams.has('code'))
  })
})
