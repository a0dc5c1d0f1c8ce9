/**
 * SEC-07: the token endpoint is rate-limited per client (decision 0010). A test instance allows 3
 * requests per client per minute, on a clock the test moves.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
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
