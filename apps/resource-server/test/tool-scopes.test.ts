import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { InsufficientScopeError } from '@ema/tokens'
import { assertToolScope } from '../src/tool-scopes.ts'
import { parseChallenge } from '@ema/test-kit'
import {
  connectClient,
  INITIALIZE,
  postMcp,
  type FakeAuthorizationServer,
  type RunningResourceServer,
} from './support/resource-server.ts'
import { useDownstream } from './support/downstream.ts'

let as: FakeAuthorizationServer
let rs: RunningResourceServer
let metadataUrl: string
useDownstream((suite) => {
  ;({ as, rs } = suite)
  metadataUrl = `${rs.url}/.well-known/oauth-protected-resource/mcp`
})

/** Opens a session by hand and returns its id. */
async function openSession(token: string): Promise<string> {
  const res = await postMcp(rs.resource, INITIALIZE, { authorization: `Bearer ${token}` })
  assert.equal(res.status, 200)
  await res.body?.cancel()
  const sessionId = res.headers.get('mcp-session-id')
  assert.ok(sessionId)
  const initialized = await postMcp(
    rs.resource,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
  )
  assert.equal(initialized.status, 202)
  return sessionId
}

function callTool(id: number, name: string, args: Record<string, unknown> = {}) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }
}

test('RS-07 a token with only tasks.read calling add_task: HTTP 403 insufficient_scope naming tasks.write', async () => {
  const token = await as.mint({ scope: 'tasks.read' })
  const sessionId = await openSession(token)
  const res = await postMcp(rs.resource, callTool(2, 'add_task', { title: 'nope' }), {
    authorization: `Bearer ${token}`,
    'mcp-session-id': sessionId,
    'mcp-protocol-version': '2025-06-18',
  })
  assert.equal(res.status, 403)
  const { scheme, params } = parseChallenge(res.headers.get('www-authenticate'))
  assert.equal(scheme, 'Bearer')
  assert.equal(params['error'], 'insufficient_scope')
  assert.equal(params['scope'], 'tasks.write')
  assert.equal(params['resource_metadata'], metadataUrl)
  assert.ok(params['error_description'])
  const body = (await res.json()) as { error: string; error_description: string }
  assert.equal(body.error, 'insufficient_scope')
  assert.equal(typeof body.error_description, 'string')
})

test('RS-07 a token with only tasks.read may still call list_tasks and whoami', async () => {
  const { client } = await connectClient(rs.resource, await as.mint({ scope: 'tasks.read' }))
  try {
    assert.equal((await client.callTool({ name: 'list_tasks', arguments: {} })).isError, undefined)
    assert.equal((await client.callTool({ name: 'whoami', arguments: {} })).isError, undefined)
  } finally {
    await client.close()
  }
})

test('RS-07 a batch names every scope the request needs in one challenge', async () => {
  const token = await as.mint({ scope: 'tasks.read' })
  const sessionId = await openSession(token)
  const res = await postMcp(rs.resource, [callTool(3, 'list_tasks'), callTool(4, 'add_task', { title: 'x' })], {
    authorization: `Bearer ${token}`,
    'mcp-session-id': sessionId,
    'mcp-protocol-version': '2025-06-18',
  })
  assert.equal(res.status, 403)
  assert.equal(parseChallenge(res.headers.get('www-authenticate')).params['scope'], 'tasks.read tasks.write')
  assert.equal(((await res.json()) as { error: string }).error, 'insufficient_scope')
})

test('RS-07 a token with no scope may call whoami but not list_tasks', async () => {
  const token = await as.mint({ scope: '' })
  const sessionId = await openSession(token)
  const headers = {
    authorization: `Bearer ${token}`,
    'mcp-session-id': sessionId,
    'mcp-protocol-version': '2025-06-18',
  }
  const who = await postMcp(rs.resource, callTool(5, 'whoami'), headers)
  assert.equal(who.status, 200)
  await who.body?.cancel()
  const list = await postMcp(rs.resource, callTool(6, 'list_tasks'), headers)
  assert.equal(list.status, 403)
  assert.equal(parseChallenge(list.headers.get('www-authenticate')).params['scope'], 'tasks.read')
})

test('RS-07 the SDK client sees the 403 as a StreamableHTTPError with code 403', async () => {
  const { client } = await connectClient(rs.resource, await as.mint({ scope: 'tasks.read' }))
  try {
    await assert.rejects(client.callTool({ name: 'add_task', arguments: { title: 'nope' } }), (error: unknown) => {
      assert.equal((error as { code?: unknown }).code, 403)
      assert.match(String((error as Error).message), /insufficient_scope/)
      return true
    })
  } finally {
    await client.close()
  }
})

test('RS-07 defence in depth: the tool handler check refuses a missing scope too', () => {
  const authInfo: AuthInfo = { token: 't', clientId: 'c', scopes: ['tasks.read'], extra: { iss: 'i', sub: 's' } }
  assert.throws(() => assertToolScope(authInfo, 'tasks.write'), InsufficientScopeError)
  assert.throws(() => assertToolScope(undefined, null), InsufficientScopeError)
  assert.equal(assertToolScope(authInfo, 'tasks.read'), authInfo)
  assert.equal(assertToolScope(authInfo, null), authInfo)
})
