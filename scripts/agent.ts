// `npm run agent -- <command>`: the headless agent CLI (apps/agent-cli) against the system
// `npm start` runs, with the same local defaults: the demo URLs, and plain http opted into loudly
// (the CLI warns about it). Anything already set in the environment wins.
import { spawn } from 'node:child_process'
import { constants as osConstants } from 'node:os'
import { fileURLToPath } from 'node:url'
import { withDemoUrls } from './demo-roles.ts'

const env = withDemoUrls({ ...process.env })

const entry = fileURLToPath(new URL('../apps/agent-cli/src/main.ts', import.meta.url))
const child = spawn(process.execPath, [entry, ...process.argv.slice(2)], { env, stdio: 'inherit' })
child.on('exit', (code, signal) => {
  // A child killed by a signal exits as the shell reports it: 128 + the signal number.
  process.exitCode = code ?? 128 + (signal === null ? 0 : (osConstants.signals[signal] ?? 0))
})
