import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeJwt } from 'jose'
import {
  ACME_AGENT,
  AS_ISSUER,
  RS_RESOURCE,
  exchange,
  signInWithRefreshToken,
  type TestIdp,
  useIdp,
  idTokenOf,
} from './support/idp.ts'

// Issue 12, item 2: every token exchange at the IdP, granted or refused, is one audit event in the
// shape every role shares ({ time, role, event, decision, jti?, … }), and never holds a credential.

let idp: TestIdp
let aliceIdToken: string
let bobIdToken: string
useIdp(async (started) => {
  idp = started
  aliceIdToken = await idTokenOf(idp, 'alice')
  bobIdToken = await idTokenOf(idp, 'bob')
})

/** The audit lines written since `from`, parsed. */
function eventsSince(from: number): Array<Record<string, unknown>> {
  return idp.auditLines.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>)
}

test("IDP-13 SEC-13 a granted exchange is one audit event, field by field, with the ID-JAG's jti and the rule that decided", async () => {
  const from = idp.auditLines.length
  const res = await exchange(idp, { subject_token: bobIdToken, scope: 'tasks.read tasks.write' })
  assert.equal(res.status, 200)
  const jti = decodeJwt(String(res.body.access_token)).jti
  const [event, ...more] = eventsSince(from)
  assert.equal(more.length, 0)
  assert.ok(event !== undefined)
  assert.match(String(event.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  assert.deepEqual(
    { ...event, time: undefined },
    {
      time: undefined,
      role: 'idp',
      event: 'token_exchange',
      decision: 'granted',
      jti,
      user: 'bob',
      sub: 'u-1002',
      client_id: 'acme-agent',
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      audience: AS_ISSUER,
      resource: RS_RESOURCE,
      scope_requested: 'tasks.read tasks.write',
      scope_granted: 'tasks.read',
      rule: 'sales-tasks',
      explanation: 'rule "sales-tasks" allows tasks.read; no rule allows tasks.write for bob (default-deny)',
    },
  )
  assert.deepEqual(Object.keys(event).slice(0, 4), ['time', 'role', 'event', 'decision'])
})

test('IDP-55 SEC-13 a refused exchange is an audit event with the error, the rule, and no jti', async () => {
  const carolIdToken = await idTokenOf(idp, 'carol')
  const from = idp.auditLines.length
  const res = await exchange(idp, { subject_token: carolIdToken })
  assert.equal(res.status, 400)
  const [event] = eventsSince(from)
  assert.deepEqual(
    { ...event, time: undefined },
    {
      time: undefined,
      role: 'idp',
      event: 'token_exchange',
      decision: 'refused',
      user: 'carol',
      sub: 'u-1003',
      client_id: 'acme-agent',
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      audience: AS_ISSUER,
      resource: RS_RESOURCE,
      rule: 'default-deny',
      explanation: 'no rule allows tasks.read, tasks.write for carol (default-deny)',
      error: 'access_denied',
      error_description: res.body.error_description,
    },
  )
})

test('SEC-13 refusals before the policy are audited too: a bad subject token, an unknown audience', async () => {
  const from = idp.auditLines.length
  assert.equal((await exchange(idp, { subject_token: `${aliceIdToken}x` })).status, 400)
  assert.equal((await exchange(idp, { subject_token: aliceIdToken, audience: 'http://localhost:1/other' })).status, 400)
  const [badToken, badAudience] = eventsSince(from)
  assert.equal(badToken?.decision, 'refused')
  assert.equal(badToken?.error, 'invalid_grant')
  assert.equal(badToken?.user, undefined, 'no user is named from a token that did not verify')
  assert.equal(badAudience?.error, 'invalid_target')
  assert.equal(badAudience?.user, 'alice')
  assert.equal(badAudience?.audience, 'http://localhost:1/other')
})

test('SEC-05 no audit event holds a token, a signature, a secret or a password', async () => {
  const { refreshToken } = await signInWithRefreshToken(idp, {
    client: ACME_AGENT,
    username: 'alice',
    password: 'alice-password',
  })
  const granted = await exchange(idp, {
    subject_token: refreshToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
  })
  assert.equal(granted.status, 200)
  const all = idp.auditLines.join('\n')
  const credentials = [
    aliceIdToken,
    bobIdToken,
    refreshToken,
    String(granted.body.access_token),
    'acme-agent-idp-secret',
    'alice-password',
    'bob-password',
  ]
  for (const credential of credentials) {
    assert.ok(!all.includes(credential), 'a credential reached the audit trail')
    const signature = credential.split('.')[2]
    if (signature !== undefined) assert.ok(!all.includes(signature))
  }
  assert.doesNotMatch(all, /eyJ[\w-]{10,}\.[\w-]{10,}\./)
  assert.match(all, /"subject_token_type":"urn:ietf:params:oauth:token-type:refresh_token"/)
})
