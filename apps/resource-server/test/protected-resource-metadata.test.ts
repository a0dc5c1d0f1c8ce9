import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  type FakeAuthorizationServer,
  type RunningResourceServer,
  useResourceServer,
} from './support/resource-server.ts'

let as: FakeAuthorizationServer
let rs: RunningResourceServer
useResourceServer((suite) => ({ as, rs } = suite))

test('RS-01 RS-02 RS-03 RS-04 serves RFC 9728 metadata at the path-inserted well-known URL', async () => {
  const res = await fetch(`${rs.url}/.well-known/oauth-protected-resource/mcp`)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  assert.deepEqual(await res.json(), {
    resource: rs.resource,
    authorization_servers: [as.issuer],
    scopes_supported: ['tasks.read', 'tasks.write'],
    bearer_methods_supported: ['header'],
    resource_name: 'Tasks',
  })
})

test('RS-02 the metadata resource is exactly the resource identifier (RS_RESOURCE)', async () => {
  const body = (await (await fetch(`${rs.url}/.well-known/oauth-protected-resource/mcp`)).json()) as {
    resource: string
  }
  assert.equal(body.resource, `${rs.url}/mcp`)
})

test('RS-14 scopes_supported never advertises offline_access', async () => {
  const body = (await (await fetch(`${rs.url}/.well-known/oauth-protected-resource/mcp`)).json()) as {
    scopes_supported: string[]
  }
  assert.ok(!body.scopes_supported.includes('offline_access'))
})

test('RS-03 no document is served at the bare root, whose resource would not match (RFC 9728 §3.3)', async () => {
  const res = await fetch(`${rs.url}/.well-known/oauth-protected-resource`)
  assert.equal(res.status, 404)
})
