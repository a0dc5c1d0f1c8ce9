import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mintIdJag, readRefusal, redeem, type TestAs, type TestIdp, useJwtBearer } from './support/jwt-bearer.ts'

// AS-28 is knowingly unmet (docs/security.md): this server knows no RFC 9396 authorization details type,
// so authorization details, in the request or in the ID-JAG, fail closed instead of being ignored.

let idp: TestIdp
let as: TestAs
useJwtBearer(
  (suite) => ({ idp, as } = suite),
  () => ({ idp: { subjectNamespace: 'acme' } }),
)

test('AS-28 a jwt-bearer request with authorization_details is refused with 400 invalid_authorization_details, and the ID-JAG stays unused', async () => {
  const idJag = await mintIdJag(idp, as)
  const refusal = await readRefusal(
    await redeem(as, idJag, { extra: [['authorization_details', JSON.stringify([{ type: 'tasks' }])]] }),
  )
  assert.equal(refusal.status, 400)
  assert.deepEqual(Object.keys(refusal.body).sort(), ['error', 'error_description'])
  assert.equal(refusal.body.error, 'invalid_authorization_details')
  assert.match(String(refusal.body.error_description), /authorization_details \(RFC 9396\) is not supported/)

  // AS-23: a refused request does not burn the ID-JAG.
  const retry = await redeem(as, idJag)
  assert.equal(retry.status, 200)
})

for (const [what, value] of [
  ['an RFC 9396 array', [{ type: 'tasks', actions: ['read'] }]],
  ['an empty array', []],
  ['a string', 'tasks'],
] as const) {
  test(`AS-28 an ID-JAG carrying authorization_details (${what}) is refused with 400 invalid_grant and no access token`, async () => {
    const refusal = await readRefusal(
      await redeem(as, await mintIdJag(idp, as, { claims: { authorization_details: value } })),
    )
    assert.equal(refusal.status, 400)
    assert.equal(refusal.body.error, 'invalid_grant')
    assert.match(
      String(refusal.body.error_description),
      /carries authorization_details \(RFC 9396\), which this authorization server does not support/,
    )
  })
}

test('AS-28 AS-08 without client authentication the same request is still 401 invalid_client', async () => {
  const refusal = await readRefusal(
    await redeem(as, await mintIdJag(idp, as), { auth: { method: 'none' }, extra: [['authorization_details', '[]']] }),
  )
  assert.equal(refusal.status, 401)
  assert.equal(refusal.body.error, 'invalid_client')
})

test('AS-28 with a resource parameter the request reaches the grant, which refuses it the same way', async () => {
  const refusal = await readRefusal(
    await redeem(as, await mintIdJag(idp, as), {
      resource: 'http://localhost:4003/mcp',
      extra: [['authorization_details', '[]']],
    }),
  )
  assert.equal(refusal.status, 400)
  assert.equal(refusal.body.error, 'invalid_authorization_details')
})
