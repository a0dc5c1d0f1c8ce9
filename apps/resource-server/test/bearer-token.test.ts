import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateSigningKey, signAccessToken, signIdJag } from '@ema/tokens'
import { listen } from '@ema/server-kit'
import { parseChallenge } from '@ema/test-kit'
import {
  ALICE,
  CLIENT_ID,
  INITIALIZE,
  postMcp,
  startResourceServer,
  type FakeAuthorizationServer,
  type RunningResourceServer,
  useResourceServer,
} from './support/resource-server.ts'

let as: FakeAuthorizationServer
let rs: RunningResourceServer
let metadataUrl: string
useResourceServer((suite) => {
  ;({ as, rs } = suite)
  metadataUrl = `${rs.url}/.well-known/oauth-protected-resource/mcp`
})

/** Asserts a 401 invalid_token with the full challenge (RS-05, RS-06, RS-08). */
async function assertInvalidToken(res: Response): Promise<void> {
  assert.equal(res.status, 401)
  const { scheme, params } = parseChallenge(res.headers.get('www-authenticate'))
  assert.equal(scheme, 'Bearer')
  assert.equal(params['error'], 'invalid_token')
  assert.equal(params['resource_metadata'], metadataUrl)
  assert.equal(params['scope'], 'tasks.read tasks.write')
  assert.equal(res.headers.get('cache-control'), 'no-store')
  const body = (await res.json()) as { error: string; error_description: string }
  assert.equal(body.error, 'invalid_token')
  assert.equal(typeof body.error_description, 'string')
  assert.equal(params['error_description'], body.error_description.replace(/["\\]/g, "'"))
}

test('RS-05 RS-06 no token: 401 with a Bearer challenge naming resource_metadata and scope, and no error code', async () => {
  const res = await postMcp(rs.resource, INITIALIZE)
  assert.equal(res.status, 401)
  assert.equal(
    res.headers.get('www-authenticate'),
    `Bearer resource_metadata="${metadataUrl}", scope="tasks.read tasks.write"`,
  )
  const body = (await res.json()) as { error: string }
  assert.equal(body.error, 'invalid_token')
})

test('RS-05 another authentication scheme counts as no bearer token', async () => {
  const res = await postMcp(rs.resource, INITIALIZE, { authorization: 'Basic YWxpY2U6cHc=' })
  assert.equal(res.status, 401)
  const { params } = parseChallenge(res.headers.get('www-authenticate'))
  assert.equal(params['error'], undefined)
  assert.equal(params['resource_metadata'], metadataUrl)
})

test('RS-05 RS-08 GET and DELETE without a token are refused with 401 too', async () => {
  for (const method of ['GET', 'DELETE']) {
    const res = await fetch(rs.resource, { method, headers: { accept: 'text/event-stream' } })
    assert.equal(res.status, 401, method)
    assert.match(res.headers.get('www-authenticate') ?? '', /resource_metadata=/)
  }
})

test('RS-08 RS-09 a garbage token: 401 invalid_token', async () => {
  await assertInvalidToken(await postMcp(rs.resource, INITIALIZE, { authorization: 'Bearer not-a-jwt' }))
})

for (const [name, typ] of [
  ['CR LF', 'at+jwt\r\nSet-Cookie: x=1'],
  ['non-ASCII', 'at+jwt\u0100'],
  ['quote and backslash', 'a"b\\c'],
] as const) {
  test(`RS-05 RS-08 a token whose typ holds ${name} gets a JSON 401 with a valid challenge, never an HTML error`, async () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const token = `${b64({ alg: 'ES256', typ })}.${b64({ iss: 'x' })}.${b64('sig')}`
    const res = await postMcp(rs.resource, INITIALIZE, { authorization: `Bearer ${token}` })
    assert.equal(res.status, 401)
    assert.match(res.headers.get('content-type') ?? '', /application\/json/)
    const challenge = res.headers.get('www-authenticate') ?? ''
    assert.match(challenge, /^Bearer error="invalid_token", /)
    assert.ok(/^[\x20-\x7e]*$/.test(challenge), challenge)
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_token')
  })
}

test('RS-08 a malformed Authorization header ("Bearer a b"): 400 invalid_request', async () => {
  const res = await postMcp(rs.resource, INITIALIZE, { authorization: 'Bearer a b' })
  assert.equal(res.status, 400)
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_request')
  assert.equal(parseChallenge(res.headers.get('www-authenticate')).params['error'], 'invalid_request')
})

test('RS-05 RS-10 an expired token: 401 invalid_token', async () => {
  const token = await as.mint({ now: new Date(Date.now() - 3600_000), expiresInSeconds: 600 })
  await assertInvalidToken(await postMcp(rs.resource, INITIALIZE, { authorization: `Bearer ${token}` }))
})

test('RS-09 a token for another audience: 401 invalid_token', async () => {
  const token = await as.mint({ audience: 'http://localhost:4999/mcp' })
  const res = await postMcp(rs.resource, INITIALIZE, { authorization: `Bearer ${token}` })
  await assertInvalidToken(res)
})

test('RS-10 a token signed by another key under the trusted issuer name: 401 invalid_token', async () => {
  const otherKey = await generateSigningKey()
  const token = await as.mint({ key: otherKey })
  await assertInvalidToken(await postMcp(rs.resource, INITIALIZE, { authorization: `Bearer ${token}` }))
})

test('RS-10 RS-11 a token from another issuer: 401 invalid_token', async () => {
  const otherKey = await generateSigningKey()
  const token = await signAccessToken({
    issuer: 'http://localhost:4001',
    subject: ALICE,
    audience: rs.resource,
    clientId: CLIENT_ID,
    scope: 'tasks.read tasks.write',
    expiresInSeconds: 600,
    now: new Date(),
    key: otherKey,
  })
  await assertInvalidToken(await postMcp(rs.resource, INITIALIZE, { authorization: `Bearer ${token}` }))
})

test('RS-11 an ID-JAG presented as a bearer token is refused with 401, even when signed with the AS key', async () => {
  const idJag = await signIdJag({
    issuer: as.issuer,
    audience: rs.resource,
    subject: ALICE,
    clientId: CLIENT_ID,
    resource: rs.resource,
    scope: 'tasks.read tasks.write',
    now: new Date(),
    key: as.key,
  })
  const res = await postMcp(rs.resource, INITIALIZE, { authorization: `Bearer ${idJag}` })
  await assertInvalidToken(res)
})

test('RS-12 a token in the query string: 400 invalid_request', async () => {
  const token = await as.mint()
  const res = await postMcp(`${rs.resource}?access_token=${token}`, INITIALIZE)
  assert.equal(res.status, 400)
  const { params } = parseChallenge(res.headers.get('www-authenticate'))
  assert.equal(params['error'], 'invalid_request')
  assert.equal(params['resource_metadata'], metadataUrl)
  const body = (await res.json()) as { error: string }
  assert.equal(body.error, 'invalid_request')
})

test('RS-12 a token in the query string is refused even next to a valid Authorization header', async () => {
  const token = await as.mint()
  const res = await postMcp(`${rs.resource}?access_token=${token}`, INITIALIZE, { authorization: `Bearer ${token}` })
  assert.equal(res.status, 400)
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_request')
})

test('RS-12 a token in a form body: 400 invalid_request', async () => {
  const token = await as.mint()
  const res = await fetch(rs.resource, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ access_token: token }),
  })
  assert.equal(res.status, 400)
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_request')
})

test('RS-08 malformed JSON is a 400 parse error, never a 500', async () => {
  const token = await as.mint()
  const res = await fetch(rs.resource, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${token}`,
    },
    body: '{not json',
  })
  assert.equal(res.status, 400)
  const body = (await res.json()) as { error: { code: number } }
  assert.equal(body.error.code, -32700)
})

test('RS-05 no token and a body that is not JSON: the 401 Bearer challenge, not a JSON-RPC parse error (RFC 6750 §3)', async () => {
  const res = await fetch(rs.resource, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: '{not json',
  })
  assert.equal(res.status, 401)
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer .*resource_metadata="[^"]+"/)
})

test('RS-05 no token and a JSON body over the 256 KB limit: 401 at once, the body is never read', async () => {
  const res = await fetch(rs.resource, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(300_000) } }),
  })
  assert.equal(res.status, 401)
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /)
})

test('RS-10 when the authorization server keys cannot be fetched: 503 temporarily_unavailable', async () => {
  const dead = await listen({ port: 0 })
  const deadUrl = dead.url
  await dead.close()
  const lonelyAs = { ...as, issuer: deadUrl, jwksUri: `${deadUrl}/jwks` }
  const lonelyRs = await startResourceServer(lonelyAs)
  try {
    const token = await signAccessToken({
      issuer: deadUrl,
      subject: ALICE,
      audience: lonelyRs.resource,
      clientId: CLIENT_ID,
      scope: 'tasks.read',
      expiresInSeconds: 600,
      now: new Date(),
      key: as.key,
    })
    const res = await postMcp(lonelyRs.resource, INITIALIZE, { authorization: `Bearer ${token}` })
    assert.equal(res.status, 503)
    assert.equal(((await res.json()) as { error: string }).error, 'temporarily_unavailable')
  } finally {
    await lonelyRs.close()
  }
})

test('RS-10 a token the server has already accepted is refused once it expires (decision 0100: the remembered token is checked again)', async () => {
  let now = new Date()
  const server = await startResourceServer(as, {}, { now: () => now })
  try {
    const token = await as.mint({ now, expiresInSeconds: 600 })
    const headers = { authorization: `Bearer ${token}` }
    const accepted = await postMcp(server.resource, INITIALIZE, headers)
    assert.equal(accepted.status, 200)
    await accepted.body?.cancel()
    now = new Date(now.getTime() + (600 + 31) * 1000) // past exp and the 30 s of clock skew
    const res = await postMcp(server.resource, INITIALIZE, headers)
    assert.equal(res.status, 401)
    assert.equal(parseChallenge(res.headers.get('www-authenticate')).params['error'], 'invalid_token')
    assert.match(((await res.json()) as { error_description: string }).error_description, /expired/)
  } finally {
    await server.close()
    ;(as as FakeAuthorizationServer & { audience?: string }).audience = rs.resource // startResourceServer pointed it at the other server
  }
})
