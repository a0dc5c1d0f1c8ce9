import assert from 'node:assert/strict'
import type { RoleProcess } from './role-process.ts'

/**
 * A role whose dependency does not answer: alive (`/healthz` 200), not ready (`/readyz` 503
 * `{ status: 'unavailable' }`), and a SIGTERM still ends it cleanly (exit 0).
 */
export async function assertAliveNotReady(role: RoleProcess, origin: string): Promise<void> {
  assert.equal((await fetch(`${origin}/healthz`)).status, 200)
  const ready = await fetch(`${origin}/readyz`)
  assert.equal(ready.status, 503)
  assert.deepEqual(await ready.json(), { status: 'unavailable' })
  role.child.kill('SIGTERM')
  assert.deepEqual(await role.exited, { code: 0, signal: null })
}
