import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../src/config.ts'
import { resolveTarget } from '../src/grants/resolve-target.ts'

const BASE = {
  IDP_ISSUER: 'https://acme.idp.example',
  AS_ISSUER: 'https://auth.chat.example/',
  RS_RESOURCE: 'https://mcp.chat.example/mcp',
  CLIENT_URL: 'https://agent.example',
}

test('IDP-03 an authorization server issuer with a trailing slash is kept exactly and accepted as audience', () => {
  const config = loadConfig(BASE)
  assert.equal(config.authorizationServers[0]?.issuer, 'https://auth.chat.example/')
  const target = resolveTarget({ audience: 'https://auth.chat.example/', resource: 'https://mcp.chat.example/mcp' }, config.authorizationServers)
  assert.equal(target.authorizationServer.issuer, 'https://auth.chat.example/')
  // … and the other spelling is another issuer (RFC 8414 §3.3 compares exactly).
  assert.throws(() => resolveTarget({ audience: 'https://auth.chat.example' }, config.authorizationServers), { error: 'invalid_target' })
})

test('an IdP issuer with a trailing slash is refused with a clear message', () => {
  assert.throws(() => loadConfig({ ...BASE, IDP_ISSUER: 'https://acme.idp.example/' }), /IDP_ISSUER=https:\/\/acme\.idp\.example\/ ends with "\/"/)
})

test('SEC-01 plain http URLs are refused unless ALLOW_INSECURE_HTTP=true, and then only for loopback', () => {
  assert.throws(() => loadConfig({ ...BASE, IDP_ISSUER: 'http://localhost:4001' }), /IDP_ISSUER=http:\/\/localhost:4001 is plain http/)
  assert.equal(loadConfig({ ...BASE, IDP_ISSUER: 'http://localhost:4001', ALLOW_INSECURE_HTTP: 'true' }).issuer, 'http://localhost:4001')
  assert.throws(() => loadConfig({ ...BASE, IDP_ISSUER: 'http://idp.example', ALLOW_INSECURE_HTTP: 'true' }), /plain http/)
})

test('IDP-23 a directory with a repeated sub or username is refused at start-up', async () => {
  const { requireUniqueSubjects } = await import('../src/config.ts')
  const alice = { username: 'alice', password: 'p', sub: 'u-1', name: 'Alice', email: 'a@x', groups: [] }
  assert.deepEqual(requireUniqueSubjects([alice, { ...alice, username: 'bob', sub: 'u-2' }]).length, 2)
  assert.throws(() => requireUniqueSubjects([alice, { ...alice, username: 'alice2' }]), /sub "u-1" twice/)
  assert.throws(() => requireUniqueSubjects([alice, { ...alice, sub: 'u-2' }]), /username "alice" twice/)
  const subs = loadConfig(BASE).users.map((user) => user.sub)
  assert.equal(new Set(subs).size, subs.length)
})
