import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { listen, type Listening } from '@ema/server-kit'
import { GRANT_PROFILE, GRANT_TYPE, TOKEN_TYPE } from '@ema/tokens'
import { createClientApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { fakeJwt, startFakeServer, type FakeServer } from '@ema/test-kit'

/**
 * The whole app against three fakes: an OIDC IdP that also does the token exchange, an MCP
 * authorization server, and a "Tasks" MCP server. Drives it like a browser (cookies, redirects).
 */
describe('Acme Agent app', () => {
  let idp: FakeServer
  let as: FakeServer
  let rs: FakeServer
  let client: Listening
  const issuedSecrets: string[] = []
  const users: Record<string, { sub: string; name: string; scope: string | undefined }> = {
    alice: { sub: 'u-1001', name: 'Alice Anderson', scope: 'tasks.read tasks.write' },
    bob: { sub: 'u-1002', name: 'Bob Brown', scope: 'tasks.read' },
    carol: { sub: 'u-1003', name: 'Carol Clark', scope: undefined },
    // IDP-56: the fake IdP wants a step-up sign-in (max_age) before dave's exchange; erin's is never enough.
    dave: { sub: 'u-1004', name: 'Dave Davis', scope: 'tasks.read tasks.write' },
    erin: { sub: 'u-1005', name: 'Erin Evans', scope: 'tasks.read tasks.write' },
  }
  const authorizationRequests: Array<Record<string, string>> = []
  let nextUser = 'alice'

  before(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
    idp = await startFakeServer()
    as = await startFakeServer()
    rs = await startFakeServer()
    client = await listen({ port: 0 })

    // ---- fake IdP ----
    const codes = new Map<string, { user: string; nonce: string; challenge: string; maxAge: string | undefined }>()
    const idTokens = new Map<string, string>()
    const steppedUp = new Set<string>()
    idp.app.get('/.well-known/openid-configuration', (_req, res) => {
      res.json({
        issuer: idp.url,
        authorization_endpoint: `${idp.url}/auth`,
        token_endpoint: `${idp.url}/token`,
        jwks_uri: `${idp.url}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'],
      })
    })
    idp.app.get('/jwks', (_req, res) => {
      res.json({ keys: [jwk] })
    })
    idp.app.get('/auth', (req, res) => {
      const q = req.query as Record<string, string>
      assert.equal(q.code_challenge_method, 'S256') // CL-15
      assert.ok(q.state && q.nonce) // CL-14
      authorizationRequests.push(q)
      const code = `code-${codes.size}`
      codes.set(code, { user: nextUser, nonce: q.nonce, challenge: q.code_challenge!, maxAge: q.max_age })
      res.redirect(
        `${q.redirect_uri}?code=${code}&state=${encodeURIComponent(q.state!)}&iss=${encodeURIComponent(idp.url)}`,
      )
    })
    idp.app.post('/token', async (req, res) => {
      const body = req.body as Record<string, string>
      if (body.grant_type === 'authorization_code') {
        const pending = codes.get(body.code!)
        const verifierHash = createHash('sha256')
          .update(body.code_verifier ?? '')
          .digest('base64url')
        if (pending === undefined || verifierHash !== pending.challenge) {
          res.status(400).json({ error: 'invalid_grant' })
          return
        }
        const user = users[pending.user]!
        const idToken = await new SignJWT({
          nonce: pending.nonce,
          name: user.name,
          preferred_username: pending.user,
          auth_time: Math.floor(Date.now() / 1000),
        })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .setIssuer(idp.url)
          .setAudience('acme-agent')
          .setSubject(user.sub)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey)
        idTokens.set(idToken, pending.user)
        if (pending.maxAge !== undefined) steppedUp.add(idToken)
        issuedSecrets.push(idToken)
        res.json({ access_token: 'idp-at', token_type: 'Bearer', id_token: idToken, expires_in: 300 })
        return
      }
      if (body.grant_type === GRANT_TYPE.TOKEN_EXCHANGE) {
        const username = idTokens.get(body.subject_token!)
        const allowed = username === undefined ? undefined : users[username]!.scope
        if (username === 'erin' || (username === 'dave' && !steppedUp.has(body.subject_token!))) {
          res.status(400).json({
            error: 'insufficient_user_authentication',
            error_description: 'tasks.write needs a sign-in at most 60 seconds old',
            max_age: 60,
          })
          return
        }
        if (allowed === undefined) {
          res.status(400).json({
            error: 'access_denied',
            error_description: 'your administrator has not given you access to this MCP server',
          })
          return
        }
        const idJag = fakeJwt(
          { alg: 'ES256', typ: 'oauth-id-jag+jwt' },
          {
            iss: idp.url,
            aud: as.url,
            sub: 'u',
            client_id: 'acme-agent-tasks',
            scope: allowed,
            resource: body.resource,
          },
        )
        issuedSecrets.push(idJag)
        res.json({
          access_token: idJag,
          issued_token_type: TOKEN_TYPE.ID_JAG,
          token_type: 'N_A',
          expires_in: 300,
          scope: allowed,
        })
        return
      }
      res.status(400).json({ error: 'unsupported_grant_type' })
    })

    // ---- fake MCP authorization server ----
    as.app.get('/.well-known/oauth-authorization-server', (_req, res) => {
      res.json({
        issuer: as.url,
        token_endpoint: `${as.url}/token`,
        grant_types_supported: [GRANT_TYPE.JWT_BEARER],
        authorization_grant_profiles_supported: [GRANT_PROFILE.ID_JAG],
      })
    })
    as.app.post('/token', (req, res) => {
      const body = req.body as Record<string, string>
      const scope = (
        JSON.parse(Buffer.from(body.assertion!.split('.')[1]!, 'base64url').toString()) as { scope: string }
      ).scope
      const accessToken = fakeJwt(
        { alg: 'ES256', typ: 'at+jwt' },
        { iss: as.url, aud: `${rs.url}/mcp`, scope, jti: String(Math.random()) },
      )
      issuedSecrets.push(accessToken)
      res.json({ access_token: accessToken, token_type: 'Bearer', expires_in: 600, scope })
    })

    // ---- fake Tasks MCP server ----
    rs.app.get('/.well-known/oauth-protected-resource/mcp', (_req, res) => {
      res.json({
        resource: `${rs.url}/mcp`,
        authorization_servers: [as.url],
        scopes_supported: ['tasks.read', 'tasks.write'],
      })
    })
    rs.app.get('/mcp', (_req, res) => {
      res.status(405).end()
    })
    rs.app.delete('/mcp', (_req, res) => {
      res.status(200).end()
    })
    rs.app.post('/mcp', (req, res) => {
      const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1]
      if (token === undefined) {
        res
          .status(401)
          .set('www-authenticate', `Bearer resource_metadata="${rs.url}/.well-known/oauth-protected-resource/mcp"`)
          .end()
        return
      }
      const scope = (
        JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { scope: string }
      ).scope.split(' ')
      const message = req.body as {
        id?: number
        method: string
        params?: { protocolVersion?: string; name?: string; arguments?: { title?: string } }
      }
      if (message.id === undefined) {
        res.status(202).end()
        return
      }
      const reply = (result: unknown) => res.json({ jsonrpc: '2.0', id: message.id, result })
      if (message.method === 'initialize')
        reply({
          protocolVersion: message.params?.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: 'tasks', version: '1' },
        })
      else if (message.method === 'tools/list')
        reply({
          tools: [
            { name: 'list_tasks', inputSchema: { type: 'object' } },
            { name: 'add_task', inputSchema: { type: 'object', properties: { title: { type: 'string' } } } },
          ],
        })
      else if (message.params?.name === 'add_task' && !scope.includes('tasks.write')) {
        res
          .status(403)
          .set('www-authenticate', `Bearer error="insufficient_scope", scope="tasks.read tasks.write"`)
          .end()
      } else reply({ content: [{ type: 'text', text: `added "${message.params?.arguments?.title}"` }] })
    })

    const config = loadConfig({
      ALLOW_INSECURE_HTTP: 'true',
      CLIENT_URL: client.url,
      IDP_ISSUER: idp.url,
      AS_ISSUER: as.url,
      RS_RESOURCE: `${rs.url}/mcp`,
    })
    client.server.on('request', createClientApp(config, { fetch, now: () => new Date() }))
  })
  after(async () => {
    await client.close()
    await Promise.all([idp.close(), as.close(), rs.close()])
  })

  /** A tiny browser: one cookie jar, manual redirects. */
  function browser() {
    let cookie = ''
    const go = async (url: string, init: RequestInit = {}): Promise<Response> => {
      const response = await fetch(url, {
        ...init,
        redirect: 'manual',
        headers: { ...(init.headers as Record<string, string>), cookie },
      })
      const set = response.headers.get('set-cookie')
      if (set !== null) cookie = set.split(';')[0]!.includes('=;') ? '' : set.split(';')[0]!
      return response
    }
    const follow = async (url: string, init: RequestInit = {}): Promise<string> => {
      let response = await go(url, init)
      while (response.status >= 300 && response.status < 400)
        response = await go(new URL(response.headers.get('location')!, url).href)
      assert.equal(response.status, 200)
      return response.text()
    }
    const post = (path: string, form: Record<string, string> = {}) =>
      follow(`${client.url}${path}`, {
        method: 'POST',
        body: new URLSearchParams(form),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
    return { go, follow, post, cookie: () => cookie }
  }

  const steps = (html: string) => [...html.matchAll(/data-testid="step" data-status="(ok|error)"/g)].map((m) => m[1])

  test('signed out: the page offers "Sign in with Acme SSO"', async () => {
    const html = await browser().follow(client.url)
    assert.match(html, /<title>Acme Agent<\/title>/)
    assert.match(html, /<button type="submit">Sign in with Acme SSO<\/button>/)
  })

  test('CL-14 CL-15 CL-13 alice signs in, connects, calls add_task; CL-34 no token reaches the page', async () => {
    nextUser = 'alice'
    const b = browser()
    let html = await b.post('/login')
    assert.match(html, /Signed in as Alice Anderson \(alice\)/)
    assert.match(b.cookie(), /^acme_agent_session=/)
    html = await b.post('/connect')
    assert.deepEqual(steps(html), ['ok', 'ok', 'ok', 'ok', 'ok', 'ok'])
    assert.match(html, /Token exchange at Acme SSO \(RFC 8693\)/)
    assert.match(
      html,
      /<select id="tool" name="tool"><option value="list_tasks">list_tasks<\/option><option value="add_task">add_task<\/option><\/select>/,
    )
    html = await b.post('/call-tool', { tool: 'add_task', title: 'Prepare the demo' })
    assert.match(html, /<pre data-testid="tool-result">added &#34;Prepare the demo&#34;<\/pre>/)
    assert.doesNotMatch(html, /role="alert"/)
    for (const secret of issuedSecrets) assert.ok(!html.includes(secret), 'a token reached the page')
    assert.ok(!html.includes('acme-agent-idp-secret') && !html.includes('acme-agent-as-secret'))
    html = await b.post('/logout')
    assert.match(html, /Sign in with Acme SSO/)
  })

  test('CL-34 the event stream draws the sign-in leg and the chain in order, with decoded tokens and no token', async () => {
    nextUser = 'alice'
    const b = browser()
    await b.post('/login')
    await b.post('/connect')
    const response = await b.go(`${client.url}/events`)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/)
    const reader = response.body!.getReader()
    let text = ''
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value)
    await reader.cancel()
    const first = /^event: run\ndata: (.*)$/m.exec(text)
    assert.ok(first, 'the stream opens with the current run')
    const event = JSON.parse(first[1]!) as {
      run: { title: string; result?: { outcome: string } }
      arrows: Array<{
        from: string
        to: string
        label: string
        outcome: string
        tokens: Array<{ kind?: string; rows: Array<{ name: string; requirement?: string }> }>
      }>
    }
    assert.equal(event.run.title, 'Sign-in and the chain')
    assert.equal(event.run.result?.outcome, 'ok')
    assert.deepEqual(
      event.arrows.map((arrow) => `${arrow.from}>${arrow.to} ${arrow.label}`),
      [
        'browser>client Sign in with Acme SSO → redirect to the IdP',
        // OIDC discovery is made once per app (an earlier test did it).
        'browser>idp Authorization request (code, PKCE, state, nonce) + login',
        'browser>client Redirect back with the code (GET /callback)',
        'client>idp Code → ID token (token endpoint)',
        'client>mcp MCP initialize without a token',
        'client>mcp Protected resource metadata (RFC 9728)',
        'client>as Authorization server metadata (RFC 8414)',
        'client>idp Token exchange: ID token → ID-JAG (RFC 8693)',
        'client>as jwt-bearer: ID-JAG → access token (RFC 7523)',
        'client>mcp MCP initialize (Bearer)',
        'client>mcp MCP tools/list (Bearer)',
      ],
    )
    const redeem = event.arrows.find((arrow) => arrow.label.startsWith('jwt-bearer'))!
    const idJag = redeem.tokens.find((token) => token.kind === 'id-jag')!
    assert.equal(idJag.rows.find((row) => row.name === 'aud')?.requirement, 'AS-17')
    for (const secret of issuedSecrets) assert.ok(!text.includes(secret), 'a token reached the event stream')
    assert.ok(!text.includes('acme-agent-idp-secret') && !text.includes('acme-agent-as-secret'))
  })

  test('the page loads its script and style from itself under a strict CSP; no session means no stream', async () => {
    const page = await fetch(client.url)
    const csp = page.headers.get('content-security-policy') ?? ''
    assert.match(csp, /default-src 'none'/)
    assert.match(csp, /script-src 'self';/)
    assert.match(csp, /style-src 'self';/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
    const html = await page.text()
    assert.doesNotMatch(html, /<script>|<style>| style=/)
    const script = await fetch(`${client.url}/static/stage.js`)
    assert.equal(script.status, 200)
    assert.match(script.headers.get('content-type') ?? '', /javascript/)
    assert.equal((await fetch(`${client.url}/static/stage.css`)).status, 200)
    assert.equal((await fetch(`${client.url}/events`)).status, 204)
    // The "Break it" panel is off unless CLIENT_DEMO_ATTACKS=true.
    assert.doesNotMatch(html, /id="break-it"/)
    assert.equal((await fetch(`${client.url}/break`, { method: 'POST' })).status, 404)
  })

  test('CL-46 bob calling add_task is shown insufficient_scope in plain words', async () => {
    nextUser = 'bob'
    const b = browser()
    await b.post('/login')
    await b.post('/connect')
    const html = await b.post('/call-tool', { tool: 'add_task', title: 'x' })
    assert.match(
      html,
      /<div role="alert" data-testid="error" data-error="insufficient_scope" data-role="Tasks MCP server">/,
    )
    assert.match(
      html,
      /Refused by <strong data-testid="refusing-role">Tasks MCP server<\/strong>: <code>insufficient_scope<\/code><\/p>\s*<p>The Tasks server refused add_task: your token lacks tasks.write<\/p>/,
    )
  })

  test('CL-35 carol is refused by the IdP with access_denied, shown in plain words', async () => {
    nextUser = 'carol'
    const b = browser()
    await b.post('/login')
    const html = await b.post('/connect')
    assert.match(html, /<code>access_denied<\/code>/)
    assert.match(html, /Acme SSO refused to issue an ID-JAG: your administrator has not given you access/)
    assert.deepEqual(steps(html), ['ok', 'ok', 'ok', 'error'])
  })

  test('CL-35 IDP-56 insufficient_user_authentication sends the user back to sign in with prompt=login and max_age, and the chain is retried once', async () => {
    nextUser = 'dave'
    const b = browser()
    await b.post('/login')
    const before = authorizationRequests.length
    const html = await b.post('/connect')
    assert.equal(authorizationRequests.length, before + 1, 'one step-up sign-in')
    const stepUp = authorizationRequests.at(-1)!
    assert.equal(stepUp.prompt, 'login')
    assert.equal(stepUp.max_age, '60')
    assert.deepEqual(steps(html), ['ok', 'ok', 'ok', 'ok', 'ok', 'ok'], 'the retried chain went through')
    assert.doesNotMatch(html, /role="alert"/)
    assert.match(html, /<option value="add_task">add_task<\/option>/)
  })

  test('CL-35 IDP-56 a second insufficient_user_authentication after the step-up is shown, not looped', async () => {
    nextUser = 'erin'
    const b = browser()
    await b.post('/login')
    const before = authorizationRequests.length
    const html = await b.post('/connect')
    assert.equal(authorizationRequests.length, before + 1, 'exactly one step-up sign-in')
    assert.match(html, /<code>insufficient_user_authentication<\/code>/)
    assert.match(html, /needs a sign-in at most 60 seconds old/)
  })

  test('CL-14 a callback with the wrong state is refused', async () => {
    nextUser = 'alice'
    const b = browser()
    const toIdp = await b.go(`${client.url}/login`, { method: 'POST' })
    assert.equal(toIdp.status, 303)
    const authorizationUrl = new URL(toIdp.headers.get('location')!)
    assert.equal(authorizationUrl.origin, idp.url)
    const html = await b.follow(`${client.url}/callback?code=code-0&state=forged`)
    assert.match(html, /<code>invalid_state<\/code>/)
    assert.match(html, /Sign in with Acme SSO/)
    assert.doesNotMatch(html, /Signed in as/)
  })
})
