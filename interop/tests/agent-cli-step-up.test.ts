import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import {
  agentCliEnv,
  basicAuthorization,
  demoWorldEnv,
  demoWorldRoles,
  demoWorldUrls,
  ensureAgentCliKey,
  logInAtIdp,
  runAgentCli,
  startRoles,
  type AgentCliRun,
  type RunningRoles,
} from '@ema/demo-kit'

// Step-up for sensitive scopes with the headless agent CLI (CL-35, IDP-20, IDP-56, SEC-15), against the
// real IdP, authorization server, Tasks API and MCP server, each its own process, on ports 5810-5814
// (no mTLS alias: the MCP server authenticates with its secret). The IdP runs the documented
// sensitive-scope variant of the demo policy (IDP_DEMO_POLICY=step-up: tasks.write needs a recent
// sign-in); the test shortens the rule's max_age through the admin API so that a sign-in grows old in
// seconds, and plays the browser: it fetches the sign-in URL the CLI prints, posts the login form and
// follows the redirects to the CLI's loopback listener.

const urls = demoWorldUrls(5810)
const RULE = 'engineering-tasks'
const MAX_AGE = 6
const workDir = mkdtempSync(path.join(tmpdir(), 'agent-cli-step-up-'))
const keyFile = path.join(workDir, 'agent-cli-key.json')
const stateFile = path.join(workDir, 'alice.json')
let roles: RunningRoles | undefined

before(async () => {
  roles = await startRoles(demoWorldRoles(urls), {
    env: demoWorldEnv(process.env, urls, {
      IDP_DEMO_POLICY: 'step-up',
      AGENT_CLI_JWKS: JSON.stringify(ensureAgentCliKey(keyFile).publicJwks),
    }),
  })
})
after(async () => {
  await roles?.stop()
  rmSync(workDir, { recursive: true, force: true })
})

/** The step-up rule with another max_age, through the IdP's admin API (as a script would change it). */
async function setMaxAge(seconds: number): Promise<void> {
  const response = await fetch(`${urls.idp}/admin/api/rules/${RULE}`, {
    method: 'PUT',
    headers: { authorization: basicAuthorization('admin', 'admin-password'), 'content-type': 'application/json' },
    body: JSON.stringify({
      effect: 'allow',
      subject: 'group:engineering',
      client: '*',
      audience: urls.as,
      resource: urls.rs,
      scopes: ['tasks.read', 'tasks.write'],
      sensitive: { scopes: ['tasks.write'], max_age: seconds },
    }),
  })
  assert.equal(response.status, 200, await response.text())
}

interface Browser {
  /** Every sign-in URL it was given. */
  urls: URL[]
  play: (authorizationUrl: string) => Promise<void>
}

/** Plays alice's browser: signs in at the IdP, then (after `beforeReturning`) follows the redirect to the CLI's listener. */
function aliceBrowser(beforeReturning: () => Promise<void> = async () => {}): Browser {
  const seen: URL[] = []
  return {
    urls: seen,
    play: async (authorizationUrl) => {
      seen.push(new URL(authorizationUrl))
      const redirectUri = new URL(authorizationUrl).searchParams.get('redirect_uri') ?? ''
      const callback = await logInAtIdp(authorizationUrl, redirectUri, {
        username: 'alice',
        password: 'alice-password',
      })
      await beforeReturning()
      const page = await fetch(callback)
      await page.body?.cancel()
    },
  }
}

function runAgent(args: string[], browser?: Browser): Promise<AgentCliRun> {
  return runAgentCli(args, {
    env: agentCliEnv(process.env, urls, { keyFile, stateFile, loginTimeoutSeconds: 20 }),
    ...(browser === undefined ? {} : { browser: browser.play }),
  }).done
}

const count = (text: string, pattern: RegExp): number => text.split('\n').filter((line) => pattern.test(line)).length
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** No access token kept: the next call needs a token exchange at the IdP. */
function forgetAccessToken(): void {
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, unknown>
  delete state.accessToken
  writeFileSync(stateFile, JSON.stringify(state))
}

test('CL-35 IDP-56 SEC-15 a sign-in older than the rule allows: the IdP answers insufficient_user_authentication, the CLI signs in again (prompt=login, max_age) and retries once, which succeeds', async () => {
  const login = await runAgent(['login'], aliceBrowser())
  assert.equal(login.code, 0, login.stderr)
  await setMaxAge(MAX_AGE)
  await sleep((MAX_AGE + 1.5) * 1000) // the sign-in is now older than max_age

  const browser = aliceBrowser()
  const run = await runAgent(['call', 'add_task', JSON.stringify({ title: 'Stepped up' })], browser)
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.stdout, /Stepped up/)
  // The IdP's refusal, told once; one sign-in, with the IdP's hints; then the retry, which succeeds.
  assert.equal(count(run.stderr, new RegExp(`Acme SSO asks for a fresh sign-in \\(at most ${MAX_AGE} s old\\)`)), 1)
  assert.match(run.stderr, /needs a sign-in at most 6 seconds old \(rule "engineering-tasks"\)/)
  assert.equal(count(run.stderr, /\[FAILED\] Token exchange at Acme SSO/), 1)
  assert.equal(browser.urls.length, 1)
  assert.equal(count(run.stderr, /Open this URL in a browser/), 1)
  const signIn = browser.urls[0]!
  assert.equal(signIn.searchParams.get('max_age'), String(MAX_AGE))
  assert.match(signIn.searchParams.get('prompt') ?? '', /\blogin\b/)
  assert.match(run.stderr, /\[ok\] Token exchange at Acme SSO.*granted scope: tasks\.read tasks\.write/)
})

test('CL-35 IDP-56 a second refusal after the step-up is reported as it is, not looped: one sign-in, exit 1', async () => {
  await sleep((MAX_AGE + 1.5) * 1000) // the step-up sign-in of the previous test is old again
  forgetAccessToken()
  // While alice signs in again, the administrator tightens the rule: the retry's sign-in is already too old.
  const browser = aliceBrowser(async () => {
    await setMaxAge(1)
    await sleep(2_200)
  })
  const started = Date.now()
  const run = await runAgent(['call', 'add_task', JSON.stringify({ title: 'Never added' })], browser)
  assert.equal(run.code, 1, run.stderr)
  assert.ok(Date.now() - started < 15_000, 'no wait for a second sign-in that never comes')
  assert.equal(browser.urls.length, 1, 'one step-up sign-in, no loop')
  assert.equal(count(run.stderr, /Open this URL in a browser/), 1)
  assert.match(
    run.stderr,
    /Refused \(insufficient_user_authentication\): still refused after a fresh sign-in; the agent does not ask again in this run .*tasks\.write .* needs a sign-in at most 1 seconds old \(rule "engineering-tasks"\)/,
  )
  assert.equal(count(run.stderr, /\[FAILED\] Token exchange at Acme SSO/), 2, 'the first exchange and the one retry')
  assert.doesNotMatch(run.stdout, /Never added/)
  await setMaxAge(MAX_AGE)
})
