import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  appFolder,
  demoWorldEnv,
  demoWorldUrls,
  logInAtIdp,
  protectedResourceMetadataUrl,
  startRoles,
  type RunningRoles,
} from '@ema/demo-kit'
import { runInspector, writeInspectorConfig, type InspectorRun } from './support/mcp-inspector.ts'
import { freePort, wireRecorder, type RecordedExchange } from './support/recording-proxy.ts'

// The official MCP Inspector (@modelcontextprotocol/inspector 2.12.0), in its Enterprise-Managed
// Authorization mode, against our IdP, authorization server (AS) and MCP server, each its own process.
// The Inspector runs as its own process too: its headless CLI (`mcp-inspector --cli`), told about the
// stack the way a user tells it (docs/interop.md). Its traffic is observed on the wire: the roles sit
// behind recording reverse proxies at the public URLs (ports 5301–5303), and listen on free ports.
// Registrations: `mcp-inspector` at the IdP (IDP_CLIENTS, no code edit) mapped to
// `mcp-inspector-tasks` at the AS (CLIENTS, TRUSTED_IDPS).

const urls = demoWorldUrls(5300)
const IDP_CLIENT = { clientId: 'mcp-inspector', clientSecret: 'mcp-inspector-idp-secret' }
const AS_CLIENT = { clientId: 'mcp-inspector-tasks', clientSecret: 'mcp-inspector-as-secret' }
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag'
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token'

const workDir = mkdtempSync(path.join(tmpdir(), 'mcp-inspector-'))
const wire = wireRecorder()
let roles: RunningRoles | undefined

before(async () => {
  const [idpPort, asPort, rsPort] = [await freePort(), await freePort(), await freePort()]
  await wire.proxy('idp', 5301, idpPort)
  await wire.proxy('as', 5302, asPort)
  await wire.proxy('mcp', 5303, rsPort)
  const env = demoWorldEnv(process.env, urls, {
    IDP_PORT: String(idpPort),
    AS_PORT: String(asPort),
    RS_PORT: String(rsPort),
    IDP_CLIENTS: JSON.stringify([
      {
        client_id: IDP_CLIENT.clientId,
        client_secret: IDP_CLIENT.clientSecret,
        token_endpoint_auth_method: 'client_secret_post', // what it sends; oidc-provider would take Basic too
        application_type: 'native', // its loopback listener, any port (RFC 8252 §7.3)
        redirect_uris: ['http://127.0.0.1/oauth/callback'],
        clientIdAtAuthorizationServer: { [urls.as]: AS_CLIENT.clientId },
      },
    ]),
    CLIENTS: JSON.stringify([
      {
        client_id: AS_CLIENT.clientId,
        client_secret: AS_CLIENT.clientSecret,
        token_endpoint_auth_method: 'client_secret_post',
      },
      // Step 8: the MCP server's own client for the on-behalf-of exchange (explicit CLIENTS replace the defaults).
      {
        client_id: 'tasks-mcp-server',
        client_secret: 'tasks-mcp-server-secret',
        token_endpoint_auth_method: 'client_secret_basic',
        token_exchange: { allow_any_profile_of_type: ['on_behalf_of_token_exchange'] },
        resource_server_identifier: urls.rs,
      },
    ]),
    // The MCP server's exchange goes straight to the AS, not through the proxy that records the Inspector's traffic.
    TOKEN_EXCHANGE_URL: `http://localhost:${asPort}/token`,
    TRUSTED_IDPS: JSON.stringify([
      { issuer: urls.idp, jwks_uri: `${urls.idp}/jwks`, subject_namespace: 'acme', client_ids: [AS_CLIENT.clientId] },
    ]),
  })
  // Ready checks go straight to each role; only the Inspector's traffic (and the browser's) crosses the proxies.
  roles = await startRoles(
    [
      {
        name: 'idp',
        cwd: appFolder('idp'),
        port: idpPort,
        readyUrl: `http://localhost:${idpPort}/.well-known/openid-configuration`,
      },
      {
        name: 'as',
        cwd: appFolder('authorization-server'),
        port: asPort,
        readyUrl: `http://localhost:${asPort}/.well-known/oauth-authorization-server`,
      },
      { name: 'tasks-api', cwd: appFolder('tasks-api'), readyUrl: protectedResourceMetadataUrl(urls.tasksApi) },
      {
        name: 'mcp',
        cwd: appFolder('resource-server'),
        port: rsPort,
        readyUrl: protectedResourceMetadataUrl(urls.rs).replace(':5303', `:${rsPort}`),
      },
    ],
    { env },
  )
})

after(async () => {
  await roles?.stop()
  await wire.close()
  rmSync(workDir, { recursive: true, force: true })
})

/** A fresh Inspector installation (its own $HOME) for `user`. */
function inspectorHome(user: string): string {
  const home = path.join(workDir, user)
  writeInspectorConfig(home, {
    serverUrl: urls.rs,
    idp: { issuer: urls.idp, ...IDP_CLIENT },
    authorizationServer: AS_CLIENT,
  })
  return home
}

/** The user's browser: signs `username` in at the IdP and follows the redirect to the Inspector's loopback listener. */
function browserSigningIn(username: string): (url: string) => Promise<void> {
  return async (url) => {
    const redirectUri = new URL(url).searchParams.get('redirect_uri') ?? ''
    const callback = await logInAtIdp(url, redirectUri, { username, password: `${username}-password` })
    const page = await fetch(callback)
    assert.equal(page.status, 200)
    await page.arrayBuffer()
  }
}

/** Runs the Inspector CLI and returns the run and the exchanges it caused on the wire. */
async function inspect(
  home: string,
  args: string[],
  browser?: (url: string) => Promise<void>,
): Promise<{ run: InspectorRun; wire: RecordedExchange[] }> {
  const from = wire.exchanges.length
  const run = await runInspector(args, { home, ...(browser === undefined ? {} : { browser }) })
  return { run, wire: wire.exchanges.slice(from) }
}

const callTool = (name: string, args: Record<string, string> = {}) => [
  '--method',
  'tools/call',
  '--tool-name',
  name,
  ...Object.entries(args).flatMap(([key, value]) => ['--tool-arg', `${key}=${value}`]),
]

/** The form body of a request. */
const form = (exchange: RecordedExchange) => new URLSearchParams(exchange.requestBody)
/** The JSON body of a response (a token endpoint's). */
const json = (exchange: RecordedExchange): Record<string, unknown> =>
  JSON.parse(exchange.responseBody) as Record<string, unknown>
const tokenRequests = (exchanges: RecordedExchange[], via: 'idp' | 'as', grantType: string) =>
  exchanges.filter(
    (e) => e.via === via && e.method === 'POST' && e.path === '/token' && form(e).get('grant_type') === grantType,
  )
/** The tool result the CLI printed (JSON on stdout). */
const toolResult = (run: InspectorRun): { structuredContent?: Record<string, unknown>; isError?: boolean } =>
  JSON.parse(run.stdout) as { structuredContent?: Record<string, unknown> }
/** Run output for an assertion message: the CLI prints no credential (the CL-34 test checks that). */
const output = (run: InspectorRun) => `exit ${run.code ?? run.signal}\n${run.stderr}`

/**
 * The chain as the Inspector ran it, checked on the wire: each ID-JAG it got from the IdP is what it
 * presented at the AS, each access token the AS issued is what it presented at the MCP server, and the
 * MCP server saw no other credential (CL-42, CL-43). Returns every credential that crossed the wire.
 */
function assertChain(exchanges: RecordedExchange[]): { credentials: string[] } {
  const idJags = tokenRequests(exchanges, 'idp', TOKEN_EXCHANGE)
    .filter((e) => e.status === 200)
    .map((e) => String(json(e).access_token))
  const redemptions = tokenRequests(exchanges, 'as', JWT_BEARER)
  assert.ok(redemptions.length > 0, 'no jwt-bearer request at the AS')
  for (const redemption of redemptions)
    assert.ok(
      idJags.includes(form(redemption).get('assertion') ?? ''),
      'the assertion at the AS is an ID-JAG the IdP issued',
    )
  const accessTokens = redemptions.filter((e) => e.status === 200).map((e) => String(json(e).access_token))
  const mcpCalls = exchanges.filter((e) => e.via === 'mcp' && new URL(e.path, urls.rs).pathname === '/mcp')
  assert.ok(mcpCalls.length > 0, 'no request to the MCP server')
  for (const call of mcpCalls) {
    assert.ok(
      accessTokens.includes(call.requestHeaders.authorization?.replace(/^Bearer /, '') ?? ''),
      `${call.method} /mcp carried an access token the AS issued in this run`,
    )
  }
  const signIns = exchanges.filter(
    (e) =>
      e.via === 'idp' &&
      e.method === 'POST' &&
      e.path === '/token' &&
      form(e).get('grant_type') === 'authorization_code' &&
      e.status === 200,
  )
  const signInTokens = signIns
    .flatMap((e) => [json(e).id_token, json(e).refresh_token, json(e).access_token])
    .filter((t): t is string => typeof t === 'string')
  return {
    credentials: [...signInTokens, ...idJags, ...accessTokens, IDP_CLIENT.clientSecret, AS_CLIENT.clientSecret],
  }
}

describe('the MCP Inspector CLI, alice (engineering: tasks.read tasks.write)', () => {
  const home = inspectorHome('alice')

  test('CL-13 CL-14 CL-15 CL-17 CL-20 CL-21 CL-36 CL-39 IDP-21 alice signs in through the browser; the Inspector exchanges her ID token for an ID-JAG, redeems it, and whoami names her', async () => {
    const { run, wire: exchanges } = await inspect(home, callTool('whoami'), browserSigningIn('alice'))
    assert.equal(run.code, 0, output(run))
    const me = toolResult(run).structuredContent
    assert.equal(me?.subject, 'acme|u-1001') // alice, namespaced by her IdP (AS-19)
    assert.equal(me?.client_id, AS_CLIENT.clientId) // IDP-21: the Inspector's id at the AS
    assert.deepEqual(me?.scopes, ['tasks.read', 'tasks.write'])

    // Sign-in (OIDC, code + PKCE S256 + state) through a loopback redirect on an ephemeral port.
    assert.equal(run.navigations.length, 1, output(run))
    const authorization = new URL(run.navigations[0] ?? '')
    assert.equal(`${authorization.origin}${authorization.pathname}`, `${urls.idp}/auth`)
    assert.equal(authorization.searchParams.get('client_id'), IDP_CLIENT.clientId)
    assert.match(authorization.searchParams.get('redirect_uri') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/)
    assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256')
    assert.ok((authorization.searchParams.get('state') ?? '').length >= 32)
    assert.equal(authorization.searchParams.get('scope'), 'openid offline_access')
    assert.equal(authorization.searchParams.get('prompt'), 'consent')
    assert.equal(authorization.searchParams.has('nonce'), false) // deviation (CL-14 SHOULD): no nonce; docs/interop.md
    const [signIn] = exchanges.filter(
      (e) => e.via === 'idp' && e.path === '/token' && form(e).get('grant_type') === 'authorization_code',
    )
    assert.equal(signIn?.status, 200)
    assert.ok((form(signIn!).get('code_verifier') ?? '').length >= 43)
    // The code exchange authenticates with client_secret_basic, the token exchange below with
    // client_secret_post: two methods for one client (docs/interop.md); oidc-provider takes either.
    assert.match(signIn!.requestHeaders.authorization ?? '', /^Basic /)
    assert.equal(form(signIn!).has('client_secret'), false)
    const idToken = String(json(signIn!).id_token)

    // Token exchange at the IdP (RFC 8693), client_secret_post.
    const exchangesAtIdp = tokenRequests(exchanges, 'idp', TOKEN_EXCHANGE)
    assert.ok(exchangesAtIdp.length >= 1)
    for (const exchange of exchangesAtIdp) {
      const body = form(exchange)
      assert.equal(exchange.status, 200, exchange.responseBody)
      assert.equal(body.get('requested_token_type'), ID_JAG)
      assert.equal(body.get('subject_token_type'), ID_TOKEN)
      assert.ok(body.get('subject_token') === idToken, 'the subject token is the ID token from her sign-in')
      assert.equal(body.get('audience'), urls.as) // CL-20: equal to our AS issuer here (taken from the PRM, see below)
      assert.equal(body.get('resource'), urls.rs) // CL-21
      assert.equal(body.get('scope'), 'tasks.read tasks.write') // PRM scopes_supported
      assert.equal(body.get('client_id'), IDP_CLIENT.clientId)
      assert.ok(body.get('client_secret') === IDP_CLIENT.clientSecret, 'client_secret_post')
      assert.equal(exchange.requestHeaders.authorization, undefined)
      assert.equal(json(exchange).issued_token_type, ID_JAG)
      assert.equal(json(exchange).scope, 'tasks.read tasks.write')
    }
    // Redemption at the AS (RFC 7523 jwt-bearer), client_secret_post, with resource and scope.
    for (const redemption of tokenRequests(exchanges, 'as', JWT_BEARER)) {
      const body = form(redemption)
      assert.equal(redemption.status, 200, redemption.responseBody)
      assert.equal(body.get('client_id'), AS_CLIENT.clientId)
      assert.ok(body.get('client_secret') === AS_CLIENT.clientSecret, 'client_secret_post')
      assert.equal(body.get('resource'), urls.rs) // CL-39
      assert.equal(body.get('scope'), 'tasks.read tasks.write') // CL-40
      assert.equal(json(redemption).token_type, 'Bearer')
    }
    const { credentials } = assertChain(exchanges)
    // CL-34: nothing it obtained or holds appears in what it printed.
    for (const credential of credentials)
      assert.equal(`${run.stdout}${run.stderr}`.includes(credential), false, 'a credential in the Inspector output')
  })

  test('CL-05 CL-20 deviation: the Inspector picks the audience from the protected resource metadata and asks the IdP before it ever reads the AS metadata', async () => {
    const { run, wire: exchanges } = await inspect(home, callTool('whoami'))
    assert.equal(run.code, 0, output(run))
    const at = (predicate: (e: RecordedExchange) => boolean) => exchanges.findIndex(predicate)
    const prm = at((e) => e.via === 'mcp' && e.path === new URL(protectedResourceMetadataUrl(urls.rs)).pathname)
    const exchange = at((e) => e.via === 'idp' && e.path === '/token' && form(e).get('grant_type') === TOKEN_EXCHANGE)
    const asMetadata = at((e) => e.via === 'as' && e.path.startsWith('/.well-known/'))
    assert.ok(prm >= 0 && exchange > prm, 'the PRM is read before the token exchange')
    assert.ok(
      asMetadata > exchange,
      'the AS metadata (and its issuer) is read only after the token exchange, to find the AS token endpoint',
    )
  })

  test('CL-24 CL-44 a later run needs no sign-in: it reuses the kept ID token, but exchanges it for a fresh ID-JAG on every run', async () => {
    const added = await inspect(home, callTool('add_task', { title: 'Try the Inspector' }))
    assert.equal(added.run.code, 0, output(added.run))
    assert.equal(added.run.navigations.length, 0) // no browser
    assert.equal(
      (toolResult(added.run).structuredContent?.task as { title?: string } | undefined)?.title,
      'Try the Inspector',
    )
    assert.equal(tokenRequests(added.wire, 'idp', TOKEN_EXCHANGE).length, 1) // a kept, unexpired access token is not reused across runs
    assert.equal(tokenRequests(added.wire, 'idp', 'authorization_code').length, 0)
    assertChain(added.wire)

    const listed = await inspect(home, callTool('list_tasks'))
    assert.equal(listed.run.code, 0, output(listed.run))
    const tasks = toolResult(listed.run).structuredContent?.tasks as Array<{ title: string }> | undefined
    assert.deepEqual(
      tasks?.map((task) => task.title),
      ['Try the Inspector'],
    )
    assertChain(listed.wire)
  })
})

describe('the MCP Inspector CLI, bob (sales: tasks.read)', () => {
  const home = inspectorHome('bob')

  test('IDP-16 IDP-17 AS-27 bob signs in and lists his tasks: the IdP narrows the scope to tasks.read, and the AS issues that although the Inspector first asks it for both', async () => {
    const { run, wire: exchanges } = await inspect(home, callTool('list_tasks'), browserSigningIn('bob'))
    assert.equal(run.code, 0, output(run))
    assert.deepEqual(toolResult(run).structuredContent?.tasks, [])
    const scopes = (list: RecordedExchange[]) =>
      list.map((e) => ({ asked: form(e).get('scope'), granted: json(e).scope }))
    const atIdp = scopes(tokenRequests(exchanges, 'idp', TOKEN_EXCHANGE))
    const atAs = scopes(tokenRequests(exchanges, 'as', JWT_BEARER))
    // The first mint asks both servers for the PRM's scopes_supported: at the AS, not the narrower scope
    // the IdP has just returned (as the SDK, docs/interop.md). Later mints ask for the scope granted.
    assert.deepEqual(atIdp[0], { asked: 'tasks.read tasks.write', granted: 'tasks.read' }) // IDP-17: what sales may have
    assert.deepEqual(atAs[0], { asked: 'tasks.read tasks.write', granted: 'tasks.read' }) // AS-27: ID-JAG ∩ requested
    for (const later of [...atIdp.slice(1), ...atAs.slice(1)])
      assert.deepEqual(later, { asked: 'tasks.read', granted: 'tasks.read' })
    assertChain(exchanges)
  })

  test("RS-07 CL-46 bob's add_task is refused with 403 insufficient_scope; with --stored-auth-only the CLI stops with auth_required", async () => {
    const { run, wire: exchanges } = await inspect(home, [
      ...callTool('add_task', { title: 'x' }),
      '--stored-auth-only',
    ])
    assert.equal(run.code, 3, output(run)) // the CLI's exit code for auth_required
    assert.match(run.stderr, /"code":"auth_required"/)
    assert.equal(run.stdout, '')
    const refused = exchanges.filter((e) => e.via === 'mcp' && e.status === 403)
    assert.equal(refused.length, 1)
    const challenge = String(refused[0]?.responseHeaders['www-authenticate'])
    assert.match(challenge, /^Bearer /)
    assert.match(challenge, /error="insufficient_scope"/)
    assert.match(challenge, /scope="tasks\.write"/)
    assert.match(challenge, new RegExp(`resource_metadata="${protectedResourceMetadataUrl(urls.rs)}"`))
    assert.equal(
      exchanges.filter((e) => e.via === 'mcp' && e.status === 200 && e.requestBody.includes('"add_task"')).length,
      0,
    ) // the tool never ran
  })

  test('deviation: without --stored-auth-only the CLI cannot step up under EMA: it asks the user to open mcp-inspector:ema-step-up, which is no URL, and waits', async () => {
    const { run, wire: exchanges } = await inspect(home, callTool('add_task', { title: 'x' }))
    assert.deepEqual(run.navigations, ['mcp-inspector:ema-step-up'], output(run)) // the helper then stops it (SIGTERM)
    assert.notEqual(run.code, 0)
    assert.equal(exchanges.filter((e) => e.via === 'mcp' && e.status === 403).length, 1)
    assert.equal(exchanges.filter((e) => e.via === 'idp' && e.path.startsWith('/auth')).length, 0) // no new sign-in was even started
  })
})

describe('the MCP Inspector CLI, carol (no group)', () => {
  test('IDP-55 CL-35 carol signs in, and the IdP refuses the exchange with access_denied: nothing reaches the AS token endpoint or the MCP server', async () => {
    const { run, wire: exchanges } = await inspect(
      inspectorHome('carol'),
      callTool('whoami'),
      browserSigningIn('carol'),
    )
    assert.equal(run.code, 1, output(run))
    assert.match(
      run.stderr,
      /Token exchange failed: access_denied - Acme policy does not allow carol to use http:\/\/localhost:5303\/mcp/,
    )
    assert.equal(run.stdout, '')
    const refusals = tokenRequests(exchanges, 'idp', TOKEN_EXCHANGE)
    assert.equal(refusals.length, 1)
    assert.equal(refusals[0]?.status, 400)
    assert.equal(json(refusals[0]!).error, 'access_denied')
    assert.equal(exchanges.filter((e) => e.via === 'as' && e.path === '/token').length, 0)
    assert.equal(exchanges.filter((e) => e.via === 'mcp' && e.requestHeaders.authorization !== undefined).length, 0)
  })
})
