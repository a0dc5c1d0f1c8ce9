import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  INITIALIZE,
  postMcp,
  type FakeAuthorizationServer,
  type RunningResourceServer,
  useResourceServer,
} from './support/resource-server.ts'

let as: FakeAuthorizationServer
let rs: RunningResourceServer
useResourceServer((suite) => ({ as, rs } = suite), { CLIENT_URL: 'http://localhost:3100' })

test('DNS-rebinding protection: a disallowed Origin is refused with 403 before the token is looked at', async () => {
  const token = await as.mint()
  const res = await postMcp(rs.resource, INITIALIZE, {
    authorization: `Bearer ${token}`,
    origin: 'http://evil.example',
  })
  assert.equal(res.status, 403)
  assert.equal(res.headers.get('www-authenticate'), null)
  const body = (await res.json()) as { error: { code: number; message: string } }
  assert.equal(body.error.code, -32000)
  assert.match(body.error.message, /Origin/)
})

test("DNS-rebinding protection: the client app's origin, localhost:3000 and no Origin at all are allowed", async () => {
  const token = await as.mint()
  const cases: Array<Record<string, string>> = [
    { origin: 'http://localhost:3100' },
    { origin: 'http://localhost:3000' },
    {},
  ]
  for (const headers of cases) {
    const res = await postMcp(rs.resource, INITIALIZE, { authorization: `Bearer ${token}`, ...headers })
    assert.equal(res.status, 200, JSON.stringify(headers))
    await res.body?.cancel()
  }
})
