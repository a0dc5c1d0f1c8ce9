import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mintIdJag, readRefusal, redeem, startAs, startIdp } from './support/jwt-bearer.ts'

const SECRET = 'authorization-server-demo-reset-secret'
const reset = (url: string, secret: string) =>
  fetch(`${url}/demo/reset`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } })

test('POST /demo/reset is a JSON 404 when DEMO_RESET is off', async () => {
  const idp = await startIdp({ subjectNamespace: 'acme' })
  const as = await startAs([idp])
  try {
    const response = await reset(as.url, SECRET)
    assert.equal(response.status, 404)
    assert.equal(((await response.json()) as { error: string }).error, 'not_found')
  } finally {
    await as.close()
    await idp.close()
  }
})

test('POST /demo/reset: a wrong secret → 401; the right one forgets the redeemed jtis (a replay is redeemable again)', async () => {
  const idp = await startIdp({ subjectNamespace: 'acme' })
  const as = await startAs([idp], { DEMO_RESET: 'true', DEMO_RESET_SECRET: SECRET })
  try {
    const idJag = await mintIdJag(idp, as)
    assert.equal((await redeem(as, idJag)).status, 200)
    const replayed = await readRefusal(await redeem(as, idJag))
    assert.equal(replayed.status, 400)
    assert.equal(replayed.body.error, 'invalid_grant')

    const wrong = await reset(as.url, 'not-the-secret')
    assert.equal(wrong.status, 401)
    assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_token')
    assert.equal((await redeem(as, idJag)).status, 400, 'a refused reset clears nothing')

    const ok = await reset(as.url, SECRET)
    assert.equal(ok.status, 200)
    assert.match(JSON.stringify(await ok.json()), /jti forgotten/)
    assert.equal((await redeem(as, idJag)).status, 200, 'the replay store is back to the start')
    assert.ok(
      as.logs.some((line) => line.includes('DEMO_RESET is ON')),
      'logged loudly',
    )
  } finally {
    await as.close()
    await idp.close()
  }
})
