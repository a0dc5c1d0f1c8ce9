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
