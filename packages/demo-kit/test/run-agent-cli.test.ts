import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runAgentCli } from '../src/index.ts'

test('runAgentCli runs the real agent CLI as a process and collects its exit code and output', async () => {
  const help = await runAgentCli(['--help'], { env: process.env }).done
  assert.equal(help.code, 0)
  assert.match(help.stdout, /Usage: npm run agent -- <command>/)
  const usage = await runAgentCli(['frobnicate'], { env: process.env }).done
  assert.equal(usage.code, 2) // a usage error
  assert.match(usage.stderr, /Unknown command "frobnicate"/)
})
