import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  ACME_AGENT,
  RS_RESOURCE,
  exchange,
  signInWithRefreshToken,
  type TestIdp,
  useIdp,
  idTokenOf,
} from './support/idp.ts'

// IDP_DEMO_POLICY=step-up: tasks.write is sensitive, with max_age 60 (IDP-17, IDP-20, IDP-56, SEC-11, SEC-15).

let idp: TestIdp
let aliceIdToken: string
let bobIdToken: string
useIdp(
  async (started) => {
    idp = started
    aliceIdToken = await idTokenOf(idp, 'alice')
    bobIdToken = await idTokenOf(idp, 'bob')
  },
  { env: { IDP_DEMO_POLICY: 'step-up' } },
)

test('IDP-17 IDP-20 a fresh sign-in gets the sensitive scope', async () => {
  idp.setClockOffsetSeconds(0)
  const res = await exchange(idp, { subject_token: aliceIdToken, scope: 'tasks.read tasks.write' })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.scope, 'tasks.read tasks.write')
})

test('IDP-56 SEC-11 SEC-15 a sign-in older than max_age asking for a sensitive scope is answered insufficient_user_authentication (400) with max_age, naming the rule', async () => {
  idp.setClockOffsetSeconds(61)
  try {
    const res = await exchange(idp, { subject_token: aliceIdToken, scope: 'tasks.read tasks.write' })
    assert.equal(res.status, 400)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.deepEqual(res.body, {
      error: 'insufficient_user_authentication',
      error_description: `tasks.write at ${RS_RESOURCE} needs a sign-in at most 60 seconds old (rule "engineering-tasks"); sign the user in again (prompt=login, max_age=60) and retry`,
      max_age: 60,
    })
    const event = JSON.parse(idp.auditLines.at(-1) ?? '{}') as Record<string, unknown>
    assert.equal(event.decision, 'refused')
    assert.equal(event.error, 'insufficient_user_authentication')
    assert.equal(event.rule, 'engineering-tasks')
    // The same (stale) sign-in may still read: only the sensitive scope needs the step-up.
    assert.equal((await exchange(idp, { subject_token: aliceIdToken, scope: 'tasks.read' })).body.scope, 'tasks.read')
    // bob is never granted tasks.write, so nothing asks him to step up.
    assert.equal((await exchange(idp, { subject_token: bobIdToken })).body.scope, 'tasks.read')
  } finally {
    idp.setClockOffsetSeconds(0)
  }
})

test('IDP-56 IDP-07 a refresh token keeps the auth_time of its sign-in: an old one needs the step-up too', async () => {
  const { refreshToken } = await signInWithRefreshToken(idp, {
    client: ACME_AGENT,
    username: 'alice',
    password: 'alice-password',
  })
  idp.setClockOffsetSeconds(120)
  try {
    const res = await exchange(idp, {
      subject_token: refreshToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
      scope: 'tasks.write',
    })
    assert.equal(res.body.error, 'insufficient_user_authentication')
  } finally {
    idp.setClockOffsetSeconds(0)
  }
})

test('IDP-56 a new sign-in (prompt=login) satisfies max_age again', async () => {
  idp.setClockOffsetSeconds(61)
  try {
    assert.equal(
      (await exchange(idp, { subject_token: aliceIdToken, scope: 'tasks.write' })).body.error,
      'insufficient_user_authentication',
    )
    // oidc-provider's clock is the real one: this sign-in's auth_time is now, which the exchange clock (30 s ahead) sees as 30 s old.
    idp.setClockOffsetSeconds(30)
    const fresh = await idTokenOf(idp, 'alice')
    assert.equal((await exchange(idp, { subject_token: fresh, scope: 'tasks.write' })).body.scope, 'tasks.write')
  } finally {
    idp.setClockOffsetSeconds(0)
  }
})
