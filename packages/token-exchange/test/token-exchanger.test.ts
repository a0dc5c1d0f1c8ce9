import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { createLogger } from '@ema/server-kit'
import { createTokenExchanger, TokenExchangeError, type TokenExchangeConfig } from '../src/index.ts'
import { startFakeSts, success, type FakeSts } from './support/fake-sts.ts'

const SUBJECT_TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1LTEwMDEifQ.subject-token-signature-part'
const SECRET = 'tasks-mcp-server-secret'
const API = 'http://localhost:4004'

let sts: FakeSts
before(async () => {
  sts = await startFakeSts()
})
after(async () => {
  await sts.close()
})
beforeEach(() => {
  sts.requests.length = 0
  sts.answer = () => success(sts)
})

const config = (overrides: Partial<TokenExchangeConfig> = {}): TokenExchangeConfig => ({
  tokenUrl: sts.tokenUrl,
  clientId: 'tasks-mcp-server',
  clientSecret: SECRET,
  audience: API,
  ...overrides,
})
const alice = { subjectToken: SUBJECT_TOKEN, user: 'alice', scope: 'tasks.read' }

describe('the request on the wire', () => {
  test('OBO-03 OBO-04 OBO-05 OBO-06 OBO-07 an RFC 8693 request with client_secret_basic; the answer becomes an ExchangedToken', async () => {
    const exchanger = createTokenExchanger(config({ resource: API }))
    const token = await exchanger.exchange(alice)
    assert.equal(sts.requests.length, 1)
    const { form, authorization } = sts.requests[0]!
    assert.equal(form.get('grant_type'), 'urn:ietf:params:oauth:grant-type:token-exchange')
    assert.equal(form.get('subject_token'), SUBJECT_TOKEN)
    assert.equal(form.get('subject_token_type'), 'urn:ietf:params:oauth:token-type:access_token')
    assert.equal(form.get('requested_token_type'), 'urn:ietf:params:oauth:token-type:access_token')
    assert.equal(form.get('audience'), API)
    assert.equal(form.get('resource'), API)
    assert.equal(form.get('scope'), 'tasks.read')
    assert.equal(form.get('client_secret'), null)
    assert.equal(form.get('actor_token'), null) // OBO-08: the actor is the authenticated client
    assert.equal(authorization, `Basic ${Buffer.from(`tasks-mcp-server:${SECRET}`).toString('base64')}`)
    assert.equal(token.accessToken, sts.issued[0])
    assert.equal(token.tokenType, 'Bearer')
    assert.equal(token.issuedTokenType, 'urn:ietf:params:oauth:token-type:access_token')
    assert.equal(token.scope, 'tasks.read')
    assert.equal(token.fromCache, false)
    assert.ok(token.expiresAt !== undefined && Math.abs(token.expiresAt - (Date.now() / 1000 + 300)) < 5)
    // The trace is safe to show: the subject token and the secret are redacted.
    assert.equal(token.trace.status, 200)
    assert.equal(token.trace.request.client_authentication, 'client_secret_basic')
    assert.equal(token.trace.request.params['subject_token'], `[redacted ${SUBJECT_TOKEN.length} chars]`)
    assert.ok(!JSON.stringify(token.trace).includes(SECRET))
    assert.ok(!JSON.stringify(token.trace).includes(SUBJECT_TOKEN))
  })

  test('OBO-07 client_secret_post puts client_id and client_secret in the body, and redacts the secret in the trace', async () => {
    const token = await createTokenExchanger(config({ clientSecretMethod: 'client_secret_post' })).exchange(alice)
    const { form, authorization } = sts.requests[0]!
    assert.equal(authorization, undefined)
    assert.equal(form.get('client_id'), 'tasks-mcp-server')
    assert.equal(form.get('client_secret'), SECRET)
    assert.equal(form.get('resource'), null)
    assert.equal(token.trace.request.params['client_secret'], `[redacted ${SECRET.length} chars]`)
  })

  test('OBO-06 no scope parameter when neither the call nor the config names one', async () => {
    await createTokenExchanger(config()).exchange({ subjectToken: SUBJECT_TOKEN, user: 'alice' })
    assert.equal(sts.requests[0]!.form.has('scope'), false)
  })
})

describe('OBO-17 the cache per (user, audience, scope)', () => {
  test('OBO-17 a second call for the same key is answered from the cache; another user or scope is exchanged', async () => {
    const exchanger = createTokenExchanger(config())
    const first = await exchanger.exchange(alice)
    const second = await exchanger.exchange(alice)
    assert.equal(sts.requests.length, 1)
    assert.equal(second.accessToken, first.accessToken)
    assert.equal(second.fromCache, true)
    await exchanger.exchange({ ...alice, scope: 'tasks.write' })
    await exchanger.exchange({ ...alice, user: 'bob' })
    await exchanger.exchange({ ...alice, audience: 'http://localhost:4005' })
    assert.equal(sts.requests.length, 4)
    assert.deepEqual(exchanger.stats, { exchanges: 4, cacheHits: 1, joined: 0 })
    exchanger.clear()
    await exchanger.exchange(alice)
    assert.equal(sts.requests.length, 5)
  })

  test('OBO-17 a cached token is reused until the margin before its expiry, then exchanged again', async () => {
    let now = Date.parse('2025-06-01T12:00:00Z')
    sts.answer = () => success(sts, { expires_in: 100 })
    const exchanger = createTokenExchanger(config({ expiryMarginSeconds: 30 }), { now: () => now })
    await exchanger.exchange(alice)
    now += 69_000
    assert.equal((await exchanger.exchange(alice)).fromCache, true)
    now += 2_000 // 71 s: within 30 s of the expiry
    assert.equal((await exchanger.exchange(alice)).fromCache, false)
    assert.equal(sts.requests.length, 2)
  })

  test("OBO-17 a cached token is never reused past the subject token's own expiry", async () => {
    let now = Date.parse('2025-06-01T12:00:00Z')
    const exchanger = createTokenExchanger(config({ expiryMarginSeconds: 0 }), { now: () => now })
    const subjectTokenExpiresAt = now / 1000 + 60
    await exchanger.exchange({ ...alice, subjectTokenExpiresAt })
    now += 59_000
    assert.equal((await exchanger.exchange({ ...alice, subjectTokenExpiresAt })).fromCache, true)
    now += 2_000
    assert.equal(
      (await exchanger.exchange({ ...alice, subjectTokenExpiresAt: subjectTokenExpiresAt + 600 })).fromCache,
      false,
    )
  })

  test('OBO-17 a token without expires_in, or one that expires within the margin, is not cached', async () => {
    sts.answer = () => success(sts, { expires_in: undefined })
    const exchanger = createTokenExchanger(config())
    await exchanger.exchange(alice)
    await exchanger.exchange(alice)
    sts.answer = () => success(sts, { expires_in: 20 })
    await exchanger.exchange(alice)
    await exchanger.exchange(alice)
    assert.equal(sts.requests.length, 4)
  })

  test('the cache holds at most maxCacheEntries tokens, dropping the oldest', async () => {
    const exchanger = createTokenExchanger(config({ maxCacheEntries: 2 }))
    for (const user of ['a', 'b', 'c']) await exchanger.exchange({ ...alice, user })
    await exchanger.exchange({ ...alice, user: 'c' })
    await exchanger.exchange({ ...alice, user: 'a' })
    assert.equal(sts.requests.length, 4)
  })
})

describe('single flight', () => {
  test('OBO-17 50 concurrent calls for one key make exactly one exchange and all get its token', async () => {
    sts.answer = () => ({ ...success(sts), delayMs: 100 })
    const exchanger = createTokenExchanger(config())
    const tokens = await Promise.all(Array.from({ length: 50 }, () => exchanger.exchange(alice)))
    assert.equal(sts.requests.length, 1)
    assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1)
    assert.deepEqual(exchanger.stats, { exchanges: 1, cacheHits: 0, joined: 49 })
  })

  test('a failed exchange fails every waiting call, is not cached, and the next call tries again', async () => {
    sts.answer = () => ({ status: 400, body: { error: 'invalid_scope', error_description: 'no' }, delayMs: 50 })
    const exchanger = createTokenExchanger(config())
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => exchanger.exchange(alice)))
    assert.ok(
      results.every(
        (r) => r.status === 'rejected' && r.reason instanceof TokenExchangeError && r.reason.error === 'invalid_scope',
      ),
    )
    assert.equal(sts.requests.length, 1)
    sts.answer = () => success(sts)
    assert.equal((await exchanger.exchange(alice)).fromCache, false)
    assert.equal(sts.requests.length, 2)
  })
})

describe('refusals become typed errors naming who refused and the OAuth error code', () => {
  const cases: Array<{
    title: string
    answer: () => { status: number; body: unknown; delayMs?: number }
    kind: string
    error: string
    status: number | undefined
    message: RegExp
  }> = [
    {
      title: 'OBO-16 invalid_target',
      answer: () => ({
        status: 400,
        body: { error: 'invalid_target', error_description: 'unknown audience http://localhost:4005' },
      }),
      kind: 'refused',
      error: 'invalid_target',
      status: 400,
      message: /^the authorization server refused the token exchange \(HTTP 400\): invalid_target: unknown audience/,
    },
    {
      title: 'OBO-09 invalid_request (a bad subject token)',
      answer: () => ({
        status: 400,
        body: { error: 'invalid_request', error_description: 'the subject token has expired' },
      }),
      kind: 'refused',
      error: 'invalid_request',
      status: 400,
      message: /invalid_request: the subject token has expired/,
    },
    {
      title: 'invalid_scope',
      answer: () => ({ status: 400, body: { error: 'invalid_scope' } }),
      kind: 'refused',
      error: 'invalid_scope',
      status: 400,
      message: /invalid_scope$/,
    },
    {
      title: 'unauthorized_client (OBO not switched on)',
      answer: () => ({ status: 400, body: { error: 'unauthorized_client' } }),
      kind: 'refused',
      error: 'unauthorized_client',
      status: 400,
      message: /unauthorized_client/,
    },
    {
      title: 'invalid_client',
      answer: () => ({ status: 401, body: { error: 'invalid_client' } }),
      kind: 'refused',
      error: 'invalid_client',
      status: 401,
      message: /HTTP 401\): invalid_client/,
    },
    {
      title: 'a 503 without an OAuth error',
      answer: () => ({ status: 503, body: 'overloaded' }),
      kind: 'unavailable',
      error: 'temporarily_unavailable',
      status: 503,
      message: /could not be reached/,
    },
    {
      title: 'a 404 HTML page',
      answer: () => ({ status: 404, body: '<html>' }),
      kind: 'invalid_response',
      error: 'invalid_response',
      status: 404,
      message: /not a token response/,
    },
    {
      title: 'OBO-15 a 200 without issued_token_type',
      answer: () => ({ status: 200, body: { access_token: 'x', token_type: 'Bearer' } }),
      kind: 'invalid_response',
      error: 'invalid_response',
      status: 200,
      message: /issued_token_type/,
    },
    {
      title: 'OBO-15 a 200 with token_type DPoP',
      answer: () => ({
        status: 200,
        body: {
          access_token: 'x',
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          token_type: 'DPoP',
        },
      }),
      kind: 'invalid_response',
      error: 'invalid_response',
      status: 200,
      message: /not Bearer/,
    },
    {
      title: 'a 200 that is not JSON',
      answer: () => ({ status: 200, body: 'not json' }),
      kind: 'invalid_response',
      error: 'invalid_response',
      status: 200,
      message: /not a JSON object/,
    },
    {
      title: 'a description with control characters is made printable',
      answer: () => ({ status: 400, body: { error: 'invalid_request', error_description: 'line1\nline2\u0000' } }),
      kind: 'refused',
      error: 'invalid_request',
      status: 400,
      message: /line1\?line2\?$/,
    },
    {
      title: 'no answer within the timeout',
      answer: () => ({ ...success(sts), delayMs: 2000 }),
      kind: 'unavailable',
      error: 'temporarily_unavailable',
      status: undefined,
      message: /no answer within 200 ms/,
    },
  ]
  for (const c of cases) {
    test(`${c.title} → ${c.kind} ${c.error}`, async () => {
      sts.answer = c.answer
      const exchanger = createTokenExchanger(config({ timeoutMs: 200, stsName: 'the authorization server' }))
      await assert.rejects(exchanger.exchange(alice), (error: unknown) => {
        assert.ok(error instanceof TokenExchangeError)
        assert.equal(error.kind, c.kind)
        assert.equal(error.error, c.error)
        assert.equal(error.status, c.status)
        assert.equal(error.refusedBy, 'the authorization server')
        assert.match(error.message, c.message)
        return true
      })
    })
  }

  test('an unreachable token endpoint → unavailable, naming the configured STS', async () => {
    const exchanger = createTokenExchanger(config({ tokenUrl: 'http://localhost:1/token', stsName: 'Keycloak' }))
    await assert.rejects(
      exchanger.exchange(alice),
      (error: unknown) =>
        error instanceof TokenExchangeError &&
        error.kind === 'unavailable' &&
        error.refusedBy === 'Keycloak' &&
        /ECONNREFUSED/.test(error.message),
    )
  })

  test('OBO-07 OBO-05 an unusable configuration is a TypeError at once', () => {
    assert.throws(
      () => createTokenExchanger(config({ clientSecret: undefined })),
      /client secret or a client certificate/,
    )
    assert.throws(
      () => createTokenExchanger(config({ clientCertificate: { certFile: 'c', keyFile: 'k' } })),
      /not both/,
    )
    assert.throws(
      () =>
        createTokenExchanger(config({ clientSecret: undefined, clientCertificate: { certFile: 'c', keyFile: 'k' } })),
      /needs an https token URL/,
    )
    assert.throws(() => createTokenExchanger(config({ audience: undefined })), /audience, a resource/)
    assert.throws(() => createTokenExchanger(config({ resource: 'http://x/#f' })), /fragment/)
    assert.throws(() => createTokenExchanger(config({ tokenUrl: 'nope' })), /not a URL/)
  })
})

test('no token or secret reaches a log line or an error, on success or refusal', async () => {
  const lines: string[] = []
  const log = createLogger({ name: 'obo', level: 'debug', write: (line) => lines.push(line) })
  const exchanger = createTokenExchanger(config({ timeoutMs: 200 }), { log })
  const token = await exchanger.exchange(alice)
  await exchanger.exchange(alice)
  const errors: unknown[] = []
  for (const answer of [
    () => ({ status: 400, body: { error: 'invalid_request' } }),
    () => ({ ...success(sts), delayMs: 1000 }),
    () => ({ status: 200, body: { access_token: 'leaky-token-value', token_type: 'Bearer' } }),
  ]) {
    sts.answer = answer
    errors.push(await exchanger.exchange({ ...alice, user: crypto.randomUUID() }).catch((error: unknown) => error))
  }
  await createTokenExchanger(config({ tokenUrl: 'http://localhost:1/token' }), { log })
    .exchange(alice)
    .catch((error: unknown) => errors.push(error))
  assert.ok(lines.some((line) => line.includes('token exchanged')))
  const text = [...lines, ...errors.map((e) => `${String(e)} ${JSON.stringify(e)}`)].join('\n')
  for (const secret of [
    SUBJECT_TOKEN,
    'subject-token-signature-part',
    token.accessToken,
    SECRET,
    'leaky-token-value',
    Buffer.from(`tasks-mcp-server:${SECRET}`).toString('base64'),
  ]) {
    assert.ok(!text.includes(secret), `found ${secret.slice(0, 12)}… in:\n${text}`)
  }
})
