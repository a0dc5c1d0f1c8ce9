import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exchange, type TestIdp, useIdp, idTokenOf } from './support/idp.ts'

// IDP-18 is knowingly unmet (docs/security.md): the IdP knows no RFC 9396 authorization details type,
// so a request that carries authorization_details fails closed instead of being answered without them.

let idp: TestIdp
let aliceIdToken: string
useIdp(async (started) => {
  idp = started
  aliceIdToken = await idTokenOf(idp, 'alice')
})

const DETAILS = JSON.stringify([{ type: 'tasks', actions: ['read'] }])

for (const [what, value] of [
  ['an RFC 9396 array', DETAILS],
  ['an empty array', '[]'],
  ['a value that is not JSON', 'not json'],
] as const) {
  test(`IDP-18 a token exchange with authorization_details (${what}) is refused with 400 invalid_authorization_details and no ID-JAG`, async () => {
    const res = await exchange(idp, { subject_token: aliceIdToken, scope: 'tasks.read', authorization_details: value })
    assert.equal(res.status, 400, JSON.stringify(res.body))
    assert.deepEqual(Object.keys(res.body).sort(), ['error', 'error_description'])
    assert.equal(res.body.error, 'invalid_authorization_details')
    assert.match(
      String(res.body.error_description),
      /authorization_details \(RFC 9396\) is not supported.*ask with scope instead/,
    )
    assert.equal(res.headers.get('cache-control'), 'no-store')
  })
}

test('IDP-18 the same exchange without authorization_details is granted (the refusal is about the parameter alone)', async () => {
  const res = await exchange(idp, { subject_token: aliceIdToken, scope: 'tasks.read' })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.scope, 'tasks.read')
})
