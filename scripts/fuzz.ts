/**
 * `npm run fuzz [runs]`: the property-based fuzz suites of the three servers with many more cases
 * than `npm test` runs (default 2000 per property). Sets FUZZ_RUNS for the `node --test` processes
 * it starts itself (not through turbo), one app after the other.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const runs = process.argv[2] ?? '2000'
if (!/^[1-9][0-9]*$/.test(runs)) {
  console.error(`usage: npm run fuzz [runs]; "${runs}" is not a positive integer`)
  process.exit(2)
}
const SUITES = [
  'apps/authorization-server/test/fuzz.test.ts',
  'apps/idp/test/fuzz.test.ts',
  'apps/resource-server/test/fuzz.test.ts',
]
let failed = false
for (const suite of SUITES) {
  const [app] = suite.split('/test/')
  console.log(`\n=== ${suite}: FUZZ_RUNS=${runs} ===`)
  const result = spawnSync(
    process.execPath,
    ['--test', '--test-reporter=spec', '--test-timeout=3600000', suite.slice(`${app}/`.length)],
    {
      cwd: fileURLToPath(new URL(`../${app}/`, import.meta.url)),
      env: { ...process.env, FUZZ_RUNS: runs },
      stdio: 'inherit',
    },
  )
  if (result.status !== 0) failed = true
}
process.exit(failed ? 1 : 0)
