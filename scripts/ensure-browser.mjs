// Runs before `npm test`: makes sure the browser tests have a Chromium to drive.
// Order: $CHROMIUM_PATH, the machine's Chromium (Debian package `chromium`), Playwright's own download.
// When none is there it installs one: Debian's package when we are root with apt-get (machines whose
// network reaches only package registries), otherwise `npx playwright install chromium`.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

const SYSTEM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']

function playwrightChromium() {
  try {
    const require = createRequire(new URL('../e2e/package.json', import.meta.url))
    const path = require('playwright-core').chromium.executablePath()
    return path && existsSync(path) ? path : undefined
  } catch {
    return undefined
  }
}

function findBrowser() {
  if (process.env.CHROMIUM_PATH) return existsSync(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : undefined
  return SYSTEM_CANDIDATES.find((p) => existsSync(p)) ?? playwrightChromium()
}

function run(command, args) {
  console.log(`[setup] ${command} ${args.join(' ')}`)
  return spawnSync(command, args, { stdio: 'inherit' }).status === 0
}

if (process.env.CHROMIUM_PATH && !existsSync(process.env.CHROMIUM_PATH)) {
  console.error(`[setup] CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist.`)
  process.exit(1)
}
if (!findBrowser()) {
  console.log('[setup] No Chromium found for the browser tests; installing one …')
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const hasApt = existsSync('/usr/bin/apt-get')
  const ok =
    isRoot && hasApt
      ? run('apt-get', ['update', '-qq']) && run('apt-get', ['install', '-y', '-qq', 'chromium'])
      : run('npx', ['playwright', 'install', 'chromium'])
  if (!ok || !findBrowser()) {
    console.error('[setup] Could not install Chromium. Install it yourself (Debian: `apt-get install chromium`;')
    console.error('        elsewhere: `npx playwright install chromium`) or set CHROMIUM_PATH to a Chromium binary.')
    process.exit(1)
  }
}
console.log(`[setup] Browser for e2e tests: ${findBrowser()}`)
