import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startIdp } from './support/idp.ts'

const SECRET = 'idp-demo-reset-secret-for-tests'
const reset = (url: string, secret: string) =>
  fetch(`${url}/demo/reset`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } })

test('POST /demo/reset is a JSON 404 when DEMO_RESET is off', async () => {
  const idp = await startIdp()
  try {
    const response = await reset(idp.url, SECRET)
    assert.equal(response.status, 404)
    assert.equal(((await response.json()) as { error: string }).error, 'not_found')
  } finally {
    await idp.close()
  }
})

test('POST /demo/reset: a wrong secret → 401 and the edit stays; the right one puts the demo policy back', async () => {
  const idp = await startIdp({ env: { DEMO_RESET: 'true', DEMO_RESET_SECRET: SECRET } })
  try {
    await idp.policy.update((draft) => ({ ...draft, rules: [] }))
    assert.notDeepEqual(await idp.policy.current(), idp.policy.demoPolicy)
    assert.equal((await reset(idp.url, 'wrong-secret')).status, 401)
    assert.notDeepEqual(await idp.policy.current(), idp.policy.demoPolicy)
    const ok = await reset(idp.url, SECRET)
    assert.equal(ok.status, 200)
    assert.deepEqual(await idp.policy.current(), idp.policy.demoPolicy)
  } finally {
    await idp.close()
  }
})
