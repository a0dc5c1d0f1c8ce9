import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const module = fileURLToPath(new URL('../src/write-stdout-line.ts', import.meta.url))

/** Runs a few lines of code in a fresh Node process with writeStdoutLine imported; returns its stdout. */
function run(body: string): { stdout: string; status: number | null } {
  const code = `import { writeStdoutLine } from ${JSON.stringify(module)}\n${body}`
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' })
  return { stdout: child.stdout, status: child.status }
}

test('SEC-05 lines written in one turn come out whole and in order, after the turn', () => {
  const { stdout } = run(`for (let i = 0; i < 1000; i++) writeStdoutLine('line ' + i)\nprocess.stdout.write('')`)
  assert.deepEqual(
    stdout.trimEnd().split('\n'),
    Array.from({ length: 1000 }, (_, i) => `line ${i}`),
  )
})

test('SEC-05 no line is lost when the process exits right after writing, or dies of an uncaught exception', () => {
  const exited = run(`writeStdoutLine('before exit')\nprocess.exit(3)`)
  assert.equal(exited.status, 3)
  assert.equal(exited.stdout, 'before exit\n')
  const crashed = run(`writeStdoutLine('before the crash')\nthrow new Error('boom')`)
  assert.notEqual(crashed.status, 0)
  assert.equal(crashed.stdout, 'before the crash\n')
})
