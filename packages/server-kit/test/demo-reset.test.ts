import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLogger, demoResetRoutes, listen, readDemoReset } from '../src/index.ts'

const quiet = createLogger({ name: 'test', write: () => {} })
const SECRET = 'a-demo-secret-of-some-length'

async function serve(config: { secret: string } | undefined, reset: () => string[]) {
  const routes = demoResetRoutes({ config, reset, log: quiet })
  return listen({ port: 0 }, (req, res) =>
    routes(req, res, () => {
      res.statusCode = 418
      res.end()
    }),
  )
}

test('readDemoReset: off unless DEMO_RESET=true; on needs a secret of 16+ characters', () => {
  assert.equal(readDemoReset({}), undefined)
  assert.equal(readDemoReset({ DEMO_RESET: 'false', DEMO_RESET_SECRET: SECRET }), undefined)
  assert.deepEqual(readDemoReset({ DEMO_RESET: 'true', DEMO_RESET_SECRET: SECRET }), { secret: SECRET })
  assert.throws(() => readDemoReset({ DEMO_RESET: 'true' }), /DEMO_RESET_SECRET/)
  assert.throws(() => readDemoReset({ DEMO_RESET: 'true', DEMO_RESET_SECRET: 'short' }), /16/)
})

test('POST /demo/reset: off → 404, wrong or missing secret → 401, GET → 405, right secret → 200 and the reset runs', async () => {
  let resets = 0
  const off = await serve(undefined, () => [`reset ${++resets}`])
  const on = await serve({ secret: SECRET }, () => [`reset ${++resets}`])
  try {
    const post = (url: string, secret?: string) =>
      fetch(`${url}/demo/reset`, {
        method: 'POST',
        headers: secret === undefined ? {} : { authorization: `Bearer ${secret}` },
      })
    const offResponse = await post(off.url, SECRET)
    assert.equal(offResponse.status, 404)
    assert.equal(((await offResponse.json()) as { error: string }).error, 'not_found')
    const missing = await post(on.url)
    assert.equal(missing.status, 401)
    assert.match(((await missing.json()) as { error_description: string }).error_description, /DEMO_RESET_SECRET/)
    assert.equal((await post(on.url, 'wrong-secret-wrong-secret')).status, 401)
    assert.equal((await fetch(`${on.url}/demo/reset`)).status, 405)
    assert.equal(resets, 0, 'no refused request reset anything')
    const ok = await post(on.url, SECRET)
    assert.equal(ok.status, 200)
    assert.equal(ok.headers.get('cache-control'), 'no-store')
    assert.deepEqual(await ok.json(), { reset: ['reset 1'] })
    assert.equal((await fetch(`${on.url}/other`)).status, 418, 'other paths pass through')
  } finally {
    await off.close()
    await on.close()
  }
})
