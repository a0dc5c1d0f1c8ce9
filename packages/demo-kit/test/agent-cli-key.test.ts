import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { ensureAgentCliKey } from '../src/index.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'agent-cli-key-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('CL-49 makes the key once (0600, kid = thumbprint), then reuses it; only the public half is returned', () => {
  const file = path.join(dir, 'nested', 'key.json')
  const made = ensureAgentCliKey(file)
  assert.equal(made.created, true)
  assert.equal(statSync(file).mode & 0o777, 0o600)
  const again = ensureAgentCliKey(file)
  assert.equal(again.created, false)
  assert.equal(again.kid, made.kid)
  assert.deepEqual(again.publicJwks, made.publicJwks)
  assert.equal(JSON.stringify(made.publicJwks).includes('"d"'), false)
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { kid: string }).kid, made.kid)
})

test('refuses a file whose public half does not belong to its private key, saying how to recover', () => {
  const a = path.join(dir, 'a.json')
  const b = path.join(dir, 'b.json')
  ensureAgentCliKey(a)
  ensureAgentCliKey(b)
  const keyA = JSON.parse(readFileSync(a, 'utf8')) as Record<string, string>
  const keyB = JSON.parse(readFileSync(b, 'utf8')) as Record<string, string>
  writeFileSync(a, JSON.stringify({ ...keyA, d: keyB.d }), { mode: 0o600 })
  assert.throws(
    () => ensureAgentCliKey(a),
    /does not hold the agent CLI's private key \(x and y do not belong to d\); delete it/,
  )
})
