import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { ClassicConnect } from '../src/classic-connect.ts'
import { loadConfig } from '../src/config.ts'
import { SessionStore } from '../src/session-store.ts'

const config = loadConfig({
  ALLOW_INSECURE_HTTP: 'true',
  CLIENT_URL: 'http://127.0.0.4:3000',
  IDP_ISSUER: 'http://127.0.0.5:4001',
  AS_ISSUER: 'http://127.0.0.3:4002',
  RS_RESOURCE: 'http://127.0.0.2:4003/mcp',
  DEMO_CLASSIC: 'true',
})

/** The MCP server's challenge, its metadata and the AS's; the token endpoint's answer is `token`. */
function fakeFetch(token: () => Response): {
  fetch: typeof fetch
  tokenRequests: Array<{ headers: Headers; body: URLSearchParams }>
} {
  const tokenRequests: Array<{ headers: Headers; body: URLSearchParams }> = []
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input)
    if (url === 'http://127.0.0.2:4003/mcp')
      return new Response(null, {
        status: 401,
        headers: {
          'www-authenticate':
            'Bearer resource_metadata="http://127.0.0.2:4003/.well-known/oauth-protected-resource/mcp"',
        },
      })
    if (url === 'http://127.0.0.2:4003/.well-known/oauth-protected-resource/mcp')
      return Response.json({ resource: 'http://127.0.0.2:4003/mcp', authorization_servers: ['http://127.0.0.3:4002'] })
    if (url === 'http://127.0.0.3:4002/.well-known/oauth-authorization-server')
      return Response.json({
        issuer: 'http://127.0.0.3:4002',
        authorization_endpoint: 'http://127.0.0.3:4002/auth',
        token_endpoint: 'http://127.0.0.3:4002/token',
        code_challenge_methods_supported: ['S256'],
      })
    if (url === 'http://127.0.0.3:4002/token') {
      tokenRequests.push({ headers: new Headers(init?.headers), body: new URLSearchParams(String(init?.body)) })
      return token()
    }
    throw new TypeError(`unexpected request to ${url}`)
  }
  return { fetch, tokenRequests }
}

test('CL-09 the classic flow: an authorization request with PKCE S256, state and resource, as the interactive client', async () => {
  const { fetch } = fakeFetch(() => Response.json({ error: 'invalid_grant' }, { status: 400 }))
  const flow = new ClassicConnect(config, config.classicClient!, { fetch })
  const session = new SessionStore('secret').create()
  const url = await flow.start(session)
  assert.equal(`${url.origin}${url.pathname}`, 'http://127.0.0.3:4002/auth')
  const q = Object.fromEntries(url.searchParams)
  assert.equal(q.response_type, 'code')
  assert.equal(q.client_id, 'acme-agent-classic')
  assert.equal(q.redirect_uri, 'http://127.0.0.4:3000/classic/callback')
  assert.equal(q.resource, 'http://127.0.0.2:4003/mcp')
  assert.equal(q.scope, 'tasks.read tasks.write')
  assert.equal(q.code_challenge_method, 'S256')
  const pending = session.pendingClassic!
  assert.equal(q.state, pending.state)
  assert.equal(q.code_challenge, createHash('sha256').update(pending.codeVerifier).digest('base64url'))
})

test('the classic callback refuses another state or issuer, reports access_denied, and redeems the code with the verifier', async () => {
  const { fetch, tokenRequests } = fakeFetch(() =>
    Response.json({ error: 'invalid_grant', error_description: 'the code was already used' }, { status: 400 }),
  )
  const flow = new ClassicConnect(config, config.classicClient!, { fetch })
  const sessions = new SessionStore('secret')
  const callback = (query: string) => new URL(`http://127.0.0.4:3000/classic/callback?${query}`)

  const wrongState = sessions.create()
  await flow.start(wrongState)
  await assert.rejects(flow.finish(wrongState, callback('code=c&state=other')), { error: 'invalid_request' })
  assert.equal(wrongState.pendingClassic, undefined, 'one use only')

  const wrongIssuer = sessions.create()
  await flow.start(wrongIssuer)
  const state1 = wrongIssuer.pendingClassic!.state
  await assert.rejects(flow.finish(wrongIssuer, callback(`code=c&state=${state1}&iss=http://evil.test`)), {
    error: 'invalid_request',
  })

  const denied = sessions.create()
  await flow.start(denied)
  const state2 = denied.pendingClassic!.state
  await assert.rejects(flow.finish(denied, callback(`error=access_denied&state=${state2}&iss=http://127.0.0.3:4002`)), {
    error: 'access_denied',
  })
  assert.equal(tokenRequests.length, 0)

  const redeemed = sessions.create()
  await flow.start(redeemed)
  const { state, codeVerifier } = redeemed.pendingClassic!
  await assert.rejects(flow.finish(redeemed, callback(`code=the-code&state=${state}&iss=http://127.0.0.3:4002`)), {
    error: 'invalid_grant',
    message: 'the code was already used',
  })
  const [request] = tokenRequests
  assert.equal(
    request?.headers.get('authorization'),
    `Basic ${Buffer.from('acme-agent-classic:acme-agent-classic-secret').toString('base64')}`,
  )
  assert.deepEqual(Object.fromEntries(request!.body), {
    grant_type: 'authorization_code',
    code: 'the-code',
    redirect_uri: 'http://127.0.0.4:3000/classic/callback',
    code_verifier: codeVerifier,
    resource: 'http://127.0.0.2:4003/mcp',
  })
})
