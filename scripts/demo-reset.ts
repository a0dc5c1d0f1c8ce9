// `npm run demo:reset`: every role of a running demo back at the demo's start, without a restart
// (docs/walkthrough.md, "Reset"). Calls each role's demo-only `POST /demo/reset` with the shared
// secret: DEMO_RESET_SECRET, else the one `npm start` kept in .demo/demo-reset-secret.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const env = process.env
const secretFile = fileURLToPath(new URL('../.demo/demo-reset-secret', import.meta.url))
let secret = env.DEMO_RESET_SECRET
if (secret === undefined) {
  try {
    secret = readFileSync(secretFile, 'utf8').trim()
  } catch {
    console.error(
      `demo:reset: no DEMO_RESET_SECRET and no ${secretFile}; start the demo with npm start (DEMO_RESET=true), or set DEMO_RESET_SECRET to the secret the roles were started with`,
    )
    process.exit(1)
  }
}

const roles = [
  { name: 'Acme SSO (IdP)', url: env.IDP_ISSUER ?? 'http://localhost:4001' },
  { name: 'MCP authorization server', url: env.AS_ISSUER ?? 'http://localhost:4002' },
  { name: 'Tasks API', url: env.TASKS_API_URL ?? 'http://localhost:4004' },
  { name: 'Acme Agent', url: env.CLIENT_URL ?? 'http://localhost:3000' },
]

let failed = 0
for (const role of roles) {
  const url = new URL('/demo/reset', role.url).href
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}` },
      signal: AbortSignal.timeout(5000),
    })
    const body = (await response.json().catch(() => ({}))) as { reset?: string[]; error_description?: string }
    if (response.ok) {
      console.log(`✔ ${role.name}: ${(body.reset ?? []).join('; ')}`)
    } else {
      failed += 1
      const hint =
        response.status === 404
          ? 'the reset is off there (start it with DEMO_RESET=true)'
          : response.status === 401
            ? 'wrong secret (is this the demo npm start started last?)'
            : (body.error_description ?? '')
      console.error(`✘ ${role.name}: HTTP ${response.status} at ${url}: ${hint}`)
    }
  } catch (error) {
    failed += 1
    console.error(`✘ ${role.name}: ${url} did not answer (${error instanceof Error ? error.message : String(error)})`)
  }
}
if (failed > 0) process.exit(1)
console.log('The demo is back at its start: sign in again.')
