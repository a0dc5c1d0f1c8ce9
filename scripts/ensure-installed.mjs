// Runs before `npm start` and `npm test` on whatever Node the machine has (plain JS on purpose):
// installs the workspace's packages, including the pinned Node 22, when they are not there yet.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const root = new URL('..', import.meta.url)
const installed =
  existsSync(new URL('node_modules/.package-lock.json', root)) && existsSync(new URL('node_modules/.bin/node', root))
if (!installed) {
  console.log('[setup] node_modules is missing: running `npm ci` (once) …')
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
