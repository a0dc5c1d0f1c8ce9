import assert from 'node:assert/strict'
import { test } from 'node:test'
import { actorChain, InvalidTokenError } from '../src/index.ts'

test('OBO-12 OBO-13 actorChain lists the current actor first, then the earlier ones', () => {
  assert.deepEqual(actorChain({ act: { sub: 'tasks-mcp-server', act: { sub: 'acme-agent-tasks' } } }), [
    'tasks-mcp-server',
    'acme-agent-tasks',
  ])
  assert.deepEqual(actorChain({ act: { sub: 'only' } }), ['only'])
})

test('OBO-19 actorChain is undefined for a token without act (no delegation)', () => {
  assert.equal(actorChain({}), undefined)
})

test('OBO-13 a malformed outermost act is an invalid token; malformed nested acts are ignored', () => {
  for (const act of [null, 'tasks-mcp-server', [], {}, { sub: '' }, { sub: 7 }]) {
    assert.throws(() => actorChain({ act }), InvalidTokenError, JSON.stringify(act))
  }
  assert.deepEqual(actorChain({ act: { sub: 'a', act: { sub: 3, act: { sub: 'c' } } } }), ['a'])
})

test('actorChain stops reading at 16 levels', () => {
  let act: Record<string, unknown> = { sub: 'a0' }
  for (let i = 1; i < 40; i++) act = { sub: `a${i}`, act }
  assert.equal(actorChain({ act })?.length, 16)
})
