/**
 * SEC-07: the token endpoint is rate-limited per client (decision 0010). A test instance allows 3
 * requests per client per minute, on a clock the test moves.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { AGENT, MCP_CLIENT, mintSubjectToken, startOboAs, type OboAs } from './support/on-behalf-of.ts'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  redeem,
  startAs,
  startIdp,
  type RedeemOptions,
  type TestAs,
  type TestIdp,
} from './support/jwt-bearer.ts'

const LIMIT = 3
const OTHER: RedeemOptions['auth'] = { method: 'client_secret_basic', clientId: 'other-client', secret: 'other-secret' }
let clock = Date.parse('2030-01-01T00:00:00Z')
let idp: TestIdp
let as: TestAs

before(async () => {
  idp = await startIdp()
  as = await startAs(
    [idp],
    {
      TOKEN_RATE_LIMIT_PER_MINUTE: String(LIMIT),
      CLIENTS: JSON.stringify([
        { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token_endpoint_auth_method: 'client_secret_basic' },
        { client_id: 'other-client', client_secret: 'other-secret', token_endpoint_auth_method: 'client_secret_basic' },
      ]),
    },
    { now: () => new Date(clock) },
  )
})
after(async () => {
  await as.close()
  await idp.close()
})

/** A request the AS refuses (400 invalid_grant) after authenticating the client: it still counts. */
const attempt = (auth?: RedeemOptions['auth']) => redeem(as, 'not-a-jwt', auth === undefined ? {} : { auth })

test('SEC-07 the request over the per-client limit gets 429 temporarily_unavailable with Retry-After; another client and the next window are unaffected', async () => {
  for (let i = 0; i < LIMIT; i++) assert.equal((await attempt()).status, 400, `request ${i + 1} is within the limit`)

  clock += 15_000
  const limited = await attempt()
  assert.equal(limited.status, 429)
  assert.equal(limited.headers.get('retry-after'), '45')
  assert.equal(limited.headers.get('cache-control'), 'no-store')
  const body = (await limited.json()) as Record<string, unknown>
  assert.equal(body.error, 'temporarily_unavailable')
  assert.equal(typeof body.error_description, 'string')
  assert.equal('access_token' in body, false)

  assert.equal((await attempt(OTHER)).status, 400, 'another client has its own window')

  clock += 45_000
  assert.equal((await attempt()).status, 400, 'a new window starts after a minute')
})

test('SEC-07 failed client authentication is charged to the address, not to the client it named', async () => {
  clock += 120_000
  for (let i = 0; i < LIMIT; i++) {
    assert.equal(
      (await attempt({ method: 'client_secret_basic', clientId: 'other-client', secret: 'wrong' })).status,
      401,
    )
  }
  // other-client's own window is untouched, but the address that kept failing is now stopped …
  const next = await attempt({ method: 'client_secret_basic', clientId: `guess-${Date.now()}`, secret: 'wrong' })
  assert.equal(next.status, 429, 'a new client_id per guess does not escape the limit')
  // … until the window ends.
  clock += 60_000
  assert.equal((await attempt(OTHER)).status, 400)
})

describe('SEC-07 SEC-09 the revocation and introspection endpoints are rate-limited per client too (decision 0081)', () => {
  const limit = 2
  let moment = Date.parse('2031-01-01T00:00:00Z')
  let server: OboAs
  before(async () => {
    server = await startOboAs({ env: { TOKEN_RATE_LIMIT_PER_MINUTE: String(limit) }, now: () => new Date(moment) })
  })
  after(() => server.close())

  const post = (path: string, token: string, client: { id: string; secret: string }) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    })

  /** The answer over the limit: 429, Retry-After, no-store and the OAuth error JSON (decision 0010's shape). */
  async function assertLimited(res: Response, path: string, retryAfter: string): Promise<void> {
    assert.equal(res.status, 429)
    assert.equal(res.headers.get('retry-after'), retryAfter)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    assert.deepEqual(await res.json(), {
      error: 'temporarily_unavailable',
      error_description: `too many requests to ${path}; retry after ${retryAfter} s`,
    })
  }

  test('SEC-09 SEC-07 over the limit at /revoke: 429 temporarily_unavailable with Retry-After, and the token is not revoked', async () => {
    const token = await mintSubjectToken(server, { now: Math.floor(moment / 1000) })
    const other = await mintSubjectToken(server, { now: Math.floor(moment / 1000) })
    for (let i = 0; i < limit; i++) assert.equal((await post('/revoke', other, AGENT)).status, 200)
    moment += 20_000
    await assertLimited(await post('/revoke', token, AGENT), '/revoke', '40')
    const answer = (await (await post('/introspect', token, MCP_CLIENT)).json()) as Record<string, unknown>
    assert.equal(answer.active, true, 'the refused revocation had no effect')
  })

  test('SEC-09 SEC-07 over the limit at /introspect: 429 with Retry-After; the token endpoint and the next window are unaffected', async () => {
    moment += 60_000
    const token = await mintSubjectToken(server, { now: Math.floor(moment / 1000) })
    for (let i = 0; i < limit; i++) assert.equal((await post('/introspect', token, MCP_CLIENT)).status, 200)
    await assertLimited(await post('/introspect', token, MCP_CLIENT), '/introspect', '60')
    // Its own windows: the same client's token requests are still counted apart (401/400, not 429).
    const tokenRequest = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${MCP_CLIENT.id}:${MCP_CLIENT.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    })
    assert.notEqual(tokenRequest.status, 429)
    await tokenRequest.body?.cancel()
    moment += 60_000
    assert.equal((await post('/introspect', token, MCP_CLIENT)).status, 200, 'a new window after a minute')
  })
})
