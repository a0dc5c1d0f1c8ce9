// `npm run conformance` (after the client scenario) and `npm test`: the MCP conformance suite's
// authorization server scenarios against our IdP and our MCP authorization server, each started as its
// own process (`node src/main.ts`, from source: the code `npm start` bundles) on ports 5401 and 5402. Port 5400 is the suite's
// OAuth callback listener. Other suites: e2e 5100–5103, interop 5200–5203.
//
// The suite is interactive for `authorization-code-grant`: it prints an authorization URL and waits
// for a browser to come back to http://127.0.0.1:<port>/callback. This script is that browser: it
// signs alice in at the IdP (`logInAtIdp`; at the AS the sign-in is federated to the IdP, and the
// browser approves the AS's consent screen) and delivers the redirect to the suite's listener.
//
// Every check the suite reports is compared with EXPECTED below; anything else (a new failure, an
// expected failure that passes now, a check that went missing) fails the run. Never prints a token,
// code or secret: the suite's own output carries none, and its checks.json (with the redirect URL) stays
// in a temporary folder that is removed.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import {
  appFolder,
  demoWorldEnv,
  demoWorldRoles,
  demoWorldUrls,
  logInAtIdp,
  startRoles,
  type RunningRoles,
} from '@ema/demo-kit'

const BASE_PORT = 5400
const urls = demoWorldUrls(BASE_PORT) // client slot 5400 (unused: the suite's callback), IdP 5401, AS 5402
const CALLBACK_PORT = BASE_PORT
const CALLBACK_URI = `http://127.0.0.1:${CALLBACK_PORT}/callback`
const SCENARIO_TIMEOUT_MS = 60_000
const USER = { username: 'alice', password: 'alice-password' }

/**
 * The client the suite's `authorization-code-grant` uses at the IdP and at the AS, registered through
 * IDP_CLIENTS and the AS's CLIENTS in this run only (never a demo default). Public (`none`): the suite
 * picks `none` whenever the server lists it, and sends PKCE S256. `native`, so its plain-http loopback
 * redirect URI is allowed.
 */
const SUITE_CLIENT_ID = 'mcp-conformance-suite'
const SUITE_CLIENT = {
  client_id: SUITE_CLIENT_ID,
  token_endpoint_auth_method: 'none',
  application_type: 'native',
  redirect_uris: [CALLBACK_URI],
}
/**
 * At the IdP, also the AS itself: the relying party through which the AS signs users in for its own
 * authorization code flow (decision 0050), with the AS's demo defaults (SIGN_IN_IDP_CLIENT_ID/_SECRET),
 * as `npm start` registers it.
 */
const IDP_CLIENTS = JSON.stringify([
  SUITE_CLIENT,
  {
    client_id: 'mcp-authorization-server',
    client_secret: 'mcp-authorization-server-idp-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: [`${urls.as}/interaction/callback`],
  },
])
/** At the AS: its demo EMA client (CLIENTS replaces the defaults, and the trusted IdP vouches for it) and the suite's interactive client. */
const AS_CLIENTS = JSON.stringify([
  {
    client_id: 'acme-agent-tasks',
    client_secret: 'acme-agent-as-secret',
    token_endpoint_auth_method: 'client_secret_basic',
  },
  SUITE_CLIENT,
])

type Status = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO'
interface Check {
  id: string
  status: Status
  description?: string
  errorMessage?: string
}
interface Expectation {
  status: Status
  /** For a FAILURE: exactly these messages (the suite joins them with ", "). */
  messages?: string[]
  /** Why this is not SUCCESS; printed with the result. */
  why?: string
}
interface Target {
  name: string
  url: string
  /** Extra arguments of `conformance authorization`. */
  args: string[]
  /** By check id; a check not listed must be SUCCESS (or INFO). */
  expected: Record<string, Expectation>
  /** How the browser answers a consent screen after the sign-in (the AS has one; the IdP none). */
  consent?: 'approve'
}

const NO_CIMD =
  'no Client ID Metadata Document support (a SHOULD since MCP 2025-11-25): clients are registered in configuration'
const TARGETS: Target[] = [
  {
    name: 'idp',
    url: urls.idp,
    // No --scenario: the suite hands the metadata scenario's result to authorization-code-grant only
    // when it runs all scenarios; run alone, that scenario fails with "Invalid authorization server metadata".
    args: ['--client-id', SUITE_CLIENT_ID, '--port', String(CALLBACK_PORT)],
    expected: {
      'authorization-server-metadata': { status: 'SUCCESS' },
      'authorization-server-metadata-cimd': { status: 'WARNING', why: NO_CIMD },
      'authorization-code-grant': { status: 'SUCCESS' },
    },
  },
  {
    name: 'as',
    url: urls.as,
    // Decision 0050: the AS has the authorization code flow; the suite's client is registered in CLIENTS.
    // `--resource`: RFC 8707, the MCP server the token is for (the AS would default to it, as the only one).
    args: ['--client-id', SUITE_CLIENT_ID, '--port', String(CALLBACK_PORT), '--resource', urls.rs],
    expected: {
      'authorization-server-metadata': { status: 'SUCCESS' },
      'authorization-server-metadata-cimd': { status: 'WARNING', why: NO_CIMD },
      'authorization-code-grant': { status: 'SUCCESS' },
    },
    consent: 'approve',
  },
]

/** `conformance` from the suite pinned as the client app's devDependency (one pin for every run). */
function conformanceCli(): string {
  const require = createRequire(join(appFolder('client'), 'package.json'))
  const manifestPath = require.resolve('@modelcontextprotocol/conformance/package.json')
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: Record<string, string> }
  const bin = manifest.bin.conformance
  if (bin === undefined) throw new Error('@modelcontextprotocol/conformance has no "conformance" bin')
  return join(dirname(manifestPath), bin)
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** Runs `conformance authorization` against one target; plays the browser when it asks for one. */
async function runSuite(
  cli: string,
  target: Target,
  outputDir: string,
): Promise<{ exitCode: number | null; browserError?: string }> {
  const args = [cli, 'authorization', '--url', target.url, '--output-dir', outputDir, ...target.args]
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  })
  const prefix = `[${target.name}] `
  let browserError: string | undefined
  let pending = ''
  const authorizationPrefix = `${target.url}/auth?`
  const onLine = (line: string) => {
    // The suite's own tallies ("Total: 0 passed, 1 failed") count expected failures too, and a CI
    // that reads closing lines would take them for this run's verdict: the verdict is ours, below.
    process.stdout.write(
      `${prefix}${line.replace(/(\d+) passed, (\d+) failed/, 'checks: $1 succeeded and $2 did not')}\n`,
    )
    if (!line.startsWith(authorizationPrefix)) return
    // The suite waits for its callback: sign in as a browser would, then deliver the redirect.
    logInAtIdp(line.trim(), CALLBACK_URI, USER, target.consent === undefined ? {} : { consent: target.consent })
      .then((redirect) => deliver(redirect))
      .catch((error: unknown) => {
        browserError = error instanceof Error ? error.message : String(error)
        process.stdout.write(
          `${prefix}(browser) sign-in failed: ${browserError}; stopping the suite, which would wait minutes for it\n`,
        )
        child.kill('SIGTERM')
      })
  }
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) onLine(line)
  })
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => process.stderr.write(chunk.replace(/^(?=.)/gm, prefix)))
  const timer = setTimeout(() => {
    process.stdout.write(`${prefix}no result within ${SCENARIO_TIMEOUT_MS / 1000} s; stopping the suite\n`)
    child.kill('SIGTERM')
  }, SCENARIO_TIMEOUT_MS)
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  clearTimeout(timer)
  if (pending !== '') onLine(pending)
  return browserError === undefined ? { exitCode } : { exitCode, browserError }
}

/** Requests the redirect URI as the browser would, retrying briefly while the suite's listener starts. */
async function deliver(redirect: URL): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await (await fetch(redirect)).arrayBuffer()
      return
    } catch (error) {
      if (attempt >= 20) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

/** Every check of every scenario the suite wrote into `outputDir` (one checks.json per scenario, in the order run). */
function readChecks(outputDir: string): Check[] {
  const ranAt = (name: string) => name.slice(-24) // each folder name ends with the ISO time of its run
  return (
    readdirSync(outputDir, { withFileTypes: true })
      // A scenario stopped before its end (a failed sign-in, the timeout) leaves a folder without results.
      .filter((entry) => entry.isDirectory() && existsSync(join(outputDir, entry.name, 'checks.json')))
      .sort((a, b) => ranAt(a.name).localeCompare(ranAt(b.name)))
      .flatMap((entry) => JSON.parse(readFileSync(join(outputDir, entry.name, 'checks.json'), 'utf8')) as Check[])
  )
}

/** The problems with `checks` against the target's expectations; prints one line per check. */
function judge(target: Target, checks: Check[]): string[] {
  const problems: string[] = []
  for (const check of checks) {
    const expected = target.expected[check.id]
    const messages = check.errorMessage === undefined ? [] : check.errorMessage.split(', ')
    let verdict = 'ok'
    if (expected === undefined) {
      if (check.status === 'FAILURE') problems.push(`${check.id}: FAILURE ${check.errorMessage ?? ''}`.trim())
      if (check.status === 'FAILURE' || check.status === 'WARNING') verdict = 'UNEXPECTED'
    } else if (check.status !== expected.status) {
      verdict = 'UNEXPECTED'
      problems.push(
        `${check.id}: ${check.status}, expected ${expected.status}${check.errorMessage === undefined ? '' : ` (${check.errorMessage})`}; update EXPECTED in scripts/conformance-servers.ts and docs/interop.md if the change is right`,
      )
    } else if (
      expected.messages !== undefined &&
      [...messages].sort().join('\n') !== [...expected.messages].sort().join('\n')
    ) {
      verdict = 'UNEXPECTED'
      problems.push(
        `${check.id}: failed with ${JSON.stringify(messages)}, expected exactly ${JSON.stringify(expected.messages)}`,
      )
    }
    const failedWith = check.status === 'FAILURE' && verdict === 'ok' ? ` (${check.errorMessage ?? ''})` : ''
    const why = expected?.why === undefined || verdict !== 'ok' ? '' : `${failedWith} — ${expected.why}`
    console.log(
      `conformance ${target.name} ${target.url}: ${check.id} ${check.status}${verdict === 'ok' ? '' : ` ${verdict}`}${why}`,
    )
  }
  for (const id of Object.keys(target.expected)) {
    if (!checks.some((check) => check.id === id)) problems.push(`${id}: not reported by the suite`)
  }
  return problems
}

let roles: RunningRoles | undefined
const outputRoot = mkdtempSync(join(tmpdir(), 'ema-conformance-'))
let exitCode = 0
const stopAll = async () => {
  await roles?.stop()
  rmSync(outputRoot, { recursive: true, force: true })
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAll().finally(() => process.exit(130))
  })
}

try {
  const cli = conformanceCli()
  if (!(await portIsFree(CALLBACK_PORT)))
    throw new Error(`port ${CALLBACK_PORT} (the suite's OAuth callback) is already in use`)
  const specs = demoWorldRoles(urls).filter((role) => role.name === 'idp' || role.name === 'as')
  roles = await startRoles(specs, {
    env: demoWorldEnv(process.env, urls, { IDP_CLIENTS, CLIENTS: AS_CLIENTS }),
    outputLimit: 20_000,
  })
  const problems: string[] = []
  for (const target of TARGETS) {
    const outputDir = join(outputRoot, target.name)
    const run = await runSuite(cli, target, outputDir)
    let checks: Check[] = []
    try {
      checks = readChecks(outputDir)
    } catch (error) {
      problems.push(
        `${target.name}: no results (${error instanceof Error ? error.message : String(error)}; suite exit ${run.exitCode})`,
      )
    }
    problems.push(...judge(target, checks).map((problem) => `${target.name}: ${problem}`))
    if (run.browserError !== undefined)
      problems.push(`${target.name}: the sign-in for the suite failed: ${run.browserError}`)
  }
  if (problems.length > 0) {
    exitCode = 1
    console.error(
      `\nconformance (authorization servers): FAILED\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    )
    console.error(`\nrole output:\n${roles.output()}`)
  } else {
    console.log('\nconformance (authorization servers): PASSED (every check as expected; see docs/interop.md)')
  }
} catch (error) {
  exitCode = 1
  console.error(`conformance (authorization servers): ${error instanceof Error ? error.message : String(error)}`)
} finally {
  await stopAll()
}
process.exit(exitCode)
