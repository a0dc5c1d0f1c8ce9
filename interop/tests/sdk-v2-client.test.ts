import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  exchangeJwtAuthGrant,
  InsufficientScopeError,
  OAuthError,
  requestJwtAuthorizationGrant,
  StreamableHTTPClientTransport,
  Client,
  isCallToolResult,
} from '@modelcontextprotocol/client'
import { clientSecretBasic, signInAtIdp } from '@ema/demo-kit'
import { connectWithCrossAppAccess, type CrossAppAccessOptions } from './support/connect-with-cross-app-access.ts'
import { recordRequests, type RequestRecorder } from './support/record-requests.ts'
import { startRoles, urls, type RunningRoles } from './support/start-roles.ts'

// docs/demo-world.md, unchanged: acme-agent is registered at the IdP with client_secret_basic. The SDK's
// requestJwtAuthorizationGrant can only send client_secret_post, which oidc-provider accepts for a
// client_secret_basic client too (docs/interop.md); the first test checks exactly that.
const IDP_CLIENT = { clientId: 'acme-agent', clientSecret: 'acme-agent-idp-secret' }
const AS_CLIENT = { clientId: 'acme-agent-tasks', clientSecret: 'acme-agent-as-secret' }
const USERS = {
  alice: { username: 'alice', password: 'alice-password' },
  bob: { username: 'bob', password: 'bob-password' },
  carol: { username: 'carol', password: 'carol-password' },
}

let roles: RunningRoles | undefined
let idpTokenEndpoint = ''
let asTokenEndpoint = ''

before(async () => {
  roles = await startRoles()
  idpTokenEndpoint = await tokenEndpointOf(`${urls.idp}/.well-known/openid-configuration`)
  asTokenEndpoint = await tokenEndpointOf(`${urls.as}/.well-known/oauth-authorization-server`)
})

after(async () => {
  await roles?.stop()
})

async function tokenEndpointOf(metadataUrl: string): Promise<string> {
  const json: unknown = await (await fetch(metadataUrl)).json()
  if (
    typeof json !== 'object' ||
    json === null ||
    !('token_endpoint' in json) ||
    typeof json.token_endpoint !== 'string'
  ) {
    throw new Error(`no token_endpoint at ${metadataUrl}`)
  }
  return json.token_endpoint
}

async function idTokenOf(user: { username: string; password: string }): Promise<string> {
  const clientAuth = clientSecretBasic(IDP_CLIENT.clientId, IDP_CLIENT.clientSecret)
  return (
    await signInAtIdp({
      idp: urls.idp,
      clientId: IDP_CLIENT.clientId,
      redirectUri: `${urls.client}/callback`,
      clientAuth,
      ...user,
    })
  ).id_token
}

async function sessionOf(user: { username: string; password: string }, extra: Partial<CrossAppAccessOptions> = {}) {
  return connectWithCrossAppAccess({
    serverUrl: urls.rs,
    idpTokenEndpoint,
    idToken: await idTokenOf(user),
    idpClient: IDP_CLIENT,
    asClient: AS_CLIENT,
    expectedIssuer: urls.as,
    ...extra,
  })
}

/** The tool result's structuredContent (our MCP server sends it with every tool result). */
function structured(result: unknown): Record<string, unknown> {
  assert.ok(isCallToolResult(result), `not a tool result: ${JSON.stringify(result)}`)
  assert.notEqual(result.isError, true, `tool error: ${JSON.stringify(result)}`)
  const content: unknown = result.structuredContent
  assert.ok(typeof content === 'object' && content !== null, `no structuredContent in ${JSON.stringify(result)}`)
  return Object.fromEntries(Object.entries(content))
}

/** The claims of a JWT, unverified: the test only reads what the AS issued. */
function claimsOf(jwt: string): Record<string, unknown> {
  const payload = jwt.split('.')[1]
  assert.ok(payload !== undefined, 'not a JWT')
  const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  assert.ok(typeof claims === 'object' && claims !== null && !Array.isArray(claims))
  return Object.fromEntries(Object.entries(claims))
}

/** Rejection of `promise`, or a failed assertion if it resolved. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  assert.fail('expected the SDK to throw')
}

const basic = (id: string, secret: string): string => `Basic ${btoa(`${id}:${secret}`)}`

describe('official MCP TypeScript SDK v2 client (@modelcontextprotocol/client 2.4.0) against our IdP, AS and MCP server', () => {
  test('CL-17 CL-36 AS-08 RS-10 the official v2 SDK client (CrossAppAccessProvider) gets an ID-JAG from our IdP, redeems it at our AS and calls whoami', async () => {
    const session = await sessionOf(USERS.alice)
    try {
      const whoami = structured(await session.client.callTool({ name: 'whoami', arguments: {} }))
      assert.deepEqual(whoami, {
        subject: 'acme|u-1001', // AS-19: the AS's own id for alice (u-1001 at the IdP)
        issuer: urls.as,
        client_id: AS_CLIENT.clientId,
        scopes: ['tasks.read', 'tasks.write'],
        idp: urls.idp,
      })

      // CL-17, IDP-09: one RFC 8693 exchange at the IdP, authenticated with client_secret_post (the SDK's only
      // way) although acme-agent is registered for client_secret_basic; audience = AS issuer, resource = PRM resource.
      const exchanges = session.recorder.tokenRequests(idpTokenEndpoint)
      assert.equal(exchanges.length, 1)
      const exchange = exchanges[0]
      assert.ok(exchange?.form)
      assert.equal(exchange.status, 200)
      assert.equal(exchange.authorization, null)
      assert.equal(exchange.form.get('grant_type'), 'urn:ietf:params:oauth:grant-type:token-exchange')
      assert.equal(exchange.form.get('requested_token_type'), 'urn:ietf:params:oauth:token-type:id-jag')
      assert.equal(exchange.form.get('subject_token_type'), 'urn:ietf:params:oauth:token-type:id_token')
      assert.equal(exchange.form.get('audience'), urls.as)
      assert.equal(exchange.form.get('resource'), urls.rs)
      assert.equal(exchange.form.get('scope'), 'tasks.read tasks.write') // from our 401 challenge (RS-06)
      assert.equal(exchange.form.get('client_id'), IDP_CLIENT.clientId)
      assert.equal(exchange.form.get('client_secret'), IDP_CLIENT.clientSecret)

      // CL-36, AS-08: one jwt-bearer request at the AS, client_secret_basic, with resource and scope.
      const redeems = session.recorder.tokenRequests(asTokenEndpoint)
      assert.equal(redeems.length, 1)
      const redeem = redeems[0]
      assert.ok(redeem?.form)
      assert.equal(redeem.status, 200)
      assert.equal(redeem.authorization, basic(AS_CLIENT.clientId, AS_CLIENT.clientSecret))
      assert.equal(redeem.form.get('grant_type'), 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      assert.equal(redeem.form.getAll('assertion').length, 1)
      assert.equal(redeem.form.get('resource'), urls.rs)
      assert.equal(redeem.form.get('scope'), 'tasks.read tasks.write')
      assert.equal(redeem.form.get('client_secret'), null)
    } finally {
      await session.close()
    }
  })

  test('AS-27 RS-07 CL-42 alice adds a task and lists it through the SDK client (tasks.write, tasks.read)', async () => {
    const session = await sessionOf(USERS.alice)
    try {
      const title = `interop ${Date.now()}`
      const added = structured(await session.client.callTool({ name: 'add_task', arguments: { title } }))
      assert.ok(typeof added.task === 'object' && added.task !== null && 'title' in added.task, JSON.stringify(added))
      assert.equal(added.task.title, title)
      const listed = structured(await session.client.callTool({ name: 'list_tasks', arguments: {} }))
      assert.ok(Array.isArray(listed.tasks), JSON.stringify(listed))
      assert.ok(
        listed.tasks.some(
          (task: unknown) => typeof task === 'object' && task !== null && 'title' in task && task.title === title,
        ),
        JSON.stringify(listed),
      )
      // One ID-JAG and one access token served both calls.
      assert.equal(session.recorder.tokenRequests(idpTokenEndpoint).length, 1)
      assert.equal(session.recorder.tokenRequests(asTokenEndpoint).length, 1)
    } finally {
      await session.close()
    }
  })

  test('AS-27 CL-40 CL-46 IDP-16 RS-07 bob (sales) through CrossAppAccessProvider: the IdP narrows to tasks.read, our AS narrows the wider request to it, list_tasks works and add_task is refused after one step-up', async () => {
    const session = await sessionOf(USERS.bob)
    try {
      const exchanges = session.recorder.tokenRequests(idpTokenEndpoint)
      assert.equal(exchanges.length, 1)
      assert.equal(exchanges[0]?.form?.get('scope'), 'tasks.read tasks.write')
      const redeems = session.recorder.tokenRequests(asTokenEndpoint)
      assert.equal(redeems.length, 1)
      assert.equal(redeems[0]?.status, 200)
      // The SDK re-sends the challenge scope; the ID-JAG carries what policy granted (IDP-16, IDP-19) …
      assert.equal(redeems[0]?.form?.get('scope'), 'tasks.read tasks.write')
      assert.equal(claimsOf(redeems[0]?.form?.get('assertion') ?? '').scope, 'tasks.read')
      // … and our AS issues the intersection (AS-27, EMA-S §7.2.1), so bob can read.
      const listed = structured(await session.client.callTool({ name: 'list_tasks', arguments: {} }))
      assert.ok(Array.isArray(listed.tasks), JSON.stringify(listed))

      const error = await rejectionOf(
        session.client.callTool({ name: 'add_task', arguments: { title: 'bob should not add this' } }),
      )
      assert.ok(error instanceof Error, String(error))
      assert.match(String(error.message), /403|insufficient_scope|tasks\.write/)
      // CL-46: one step-up (a fresh ID-JAG for the challenged scope), which policy narrows again; no loop.
      assert.equal(session.recorder.tokenRequests(idpTokenEndpoint).length, 2)
      assert.equal(
        claimsOf(session.recorder.tokenRequests(asTokenEndpoint)[1]?.form?.get('assertion') ?? '').scope,
        'tasks.read',
      )
    } finally {
      await session.close()
    }
  })

  test('RS-07 bob with a tasks.read token (exchangeJwtAuthGrant, no scope): list_tasks works, add_task gets 403 insufficient_scope and the SDK throws InsufficientScopeError naming tasks.write', async () => {
    const idToken = await idTokenOf(USERS.bob)
    const { jwtAuthGrant } = await requestJwtAuthorizationGrant({
      tokenEndpoint: idpTokenEndpoint,
      audience: urls.as,
      resource: urls.rs,
      idToken,
      ...IDP_CLIENT,
    })
    const tokens = await exchangeJwtAuthGrant({ tokenEndpoint: asTokenEndpoint, jwtAuthGrant, ...AS_CLIENT })
    assert.equal(tokens.scope, 'tasks.read')
    const recorder = recordRequests()
    const client = new Client({ name: 'interop-sdk-v2', version: '2.4.0' })
    // A minimal AuthProvider (a bearer token, no OAuth flow): the SDK cannot step up, so it throws.
    await client.connect(
      new StreamableHTTPClientTransport(new URL(urls.rs), {
        authProvider: { token: async () => tokens.access_token },
        fetch: recorder.fetch,
      }),
    )
    try {
      const listed = structured(await client.callTool({ name: 'list_tasks', arguments: {} }))
      assert.ok(Array.isArray(listed.tasks))
      const error = await rejectionOf(
        client.callTool({ name: 'add_task', arguments: { title: 'should not be added' } }),
      )
      assert.ok(error instanceof InsufficientScopeError, `expected InsufficientScopeError, got ${String(error)}`)
      assert.equal(error.requiredScope, 'tasks.write')
      assert.equal(
        error.resourceMetadataUrl?.toString(),
        'http://localhost:5203/.well-known/oauth-protected-resource/mcp',
      )
      assert.deepEqual(recorder.requests.filter((r) => r.url.href === urls.rs && r.status === 403).length, 1)
    } finally {
      await client.close()
    }
  })

  test('IDP-55 CL-35 carol (no group): our IdP refuses with access_denied; the SDK throws a plain Error naming it and never calls the AS', async () => {
    const idToken = await idTokenOf(USERS.carol)
    let recorded: RequestRecorder | undefined
    const error = await rejectionOf(
      (async () => {
        const session = await connectWithCrossAppAccess({
          serverUrl: urls.rs,
          idpTokenEndpoint,
          idToken,
          idpClient: IDP_CLIENT,
          asClient: AS_CLIENT,
          expectedIssuer: urls.as,
          onRecorder: (r) => {
            recorded = r
          },
        })
        await session.close()
      })(),
    )
    assert.ok(error instanceof Error)
    assert.ok(!(error instanceof OAuthError), 'the SDK folds the IdP refusal into a plain Error')
    assert.match(error.message, /^Token exchange failed: access_denied - /)
    assert.ok(recorded)
    const exchanges = recorded.tokenRequests(idpTokenEndpoint)
    assert.equal(exchanges.length, 1, 'access_denied is not retried')
    assert.equal(exchanges[0]?.status, 400)
    assert.equal(recorded.tokenRequests(asTokenEndpoint).length, 0)
  })

  test("AS-25 CL-36 the SDK's standalone exchangeJwtAuthGrant (grant_type + assertion only, no resource, no scope) gets a token for our only MCP server", async () => {
    const idToken = await idTokenOf(USERS.alice)
    const { jwtAuthGrant } = await requestJwtAuthorizationGrant({
      tokenEndpoint: idpTokenEndpoint,
      audience: urls.as,
      resource: urls.rs,
      idToken,
      ...IDP_CLIENT,
    })
    let sent: { authorization: string | null; form: URLSearchParams } | undefined
    const tokens = await exchangeJwtAuthGrant({
      tokenEndpoint: asTokenEndpoint,
      jwtAuthGrant,
      ...AS_CLIENT,
      fetchFn: async (input, init) => {
        sent = {
          authorization: new Headers(init?.headers).get('authorization'),
          form: new URLSearchParams(String(init?.body)),
        }
        return fetch(input, init)
      },
    })
    assert.ok(sent)
    assert.deepEqual([...sent.form.keys()].sort(), ['assertion', 'grant_type'])
    assert.equal(sent.authorization, basic(AS_CLIENT.clientId, AS_CLIENT.clientSecret))
    assert.equal(tokens.token_type.toLowerCase(), 'bearer')
    assert.equal(tokens.scope, 'tasks.read tasks.write')
    const claims = claimsOf(tokens.access_token)
    assert.equal(claims.aud, urls.rs) // AS-25: the default resource, AS-37: audience-restricted to it
    assert.equal(claims.sub, 'acme|u-1001')

    // The MCP server accepts it (RS-10), through the SDK transport with a static bearer header.
    const client = new Client({ name: 'interop-sdk-v2', version: '2.4.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(urls.rs), {
        requestInit: { headers: { Authorization: `Bearer ${tokens.access_token}` } },
      }),
    )
    try {
      const whoami = structured(await client.callTool({ name: 'whoami', arguments: {} }))
      assert.equal(whoami.subject, 'acme|u-1001')
    } finally {
      await client.close()
    }
  })

  test('AS-08 a wrong client secret at the AS: 401 invalid_client; the SDK retries auth once (a second ID-JAG) and throws OAuthError invalid_client', async () => {
    const idToken = await idTokenOf(USERS.alice)
    let recorded: RequestRecorder | undefined
    const error = await rejectionOf(
      connectWithCrossAppAccess({
        serverUrl: urls.rs,
        idpTokenEndpoint,
        idToken,
        idpClient: IDP_CLIENT,
        expectedIssuer: urls.as,
        asClient: { clientId: AS_CLIENT.clientId, clientSecret: 'wrong-secret' },
        onRecorder: (r) => {
          recorded = r
        },
      }),
    )
    assert.ok(error instanceof OAuthError, `expected OAuthError, got ${String(error)}`)
    assert.equal(error.code, 'invalid_client')
    assert.ok(recorded)
    const redeems = recorded.tokenRequests(asTokenEndpoint)
    assert.deepEqual(
      redeems.map((r) => r.status),
      [401, 401],
    )
    assert.equal(recorded.tokenRequests(idpTokenEndpoint).length, 2, 'each attempt spends a fresh ID-JAG')
  })

  test('CL-05 expectedIssuer with a trailing slash still matches our slash-free AS issuer (the SDK tolerates one "/")', async () => {
    const session = await sessionOf(USERS.alice, { expectedIssuer: `${urls.as}/` })
    try {
      const whoami = structured(await session.client.callTool({ name: 'whoami', arguments: {} }))
      assert.equal(whoami.issuer, urls.as)
      assert.equal(session.recorder.tokenRequests(idpTokenEndpoint)[0]?.form?.get('audience'), urls.as)
    } finally {
      await session.close()
    }
  })
})
