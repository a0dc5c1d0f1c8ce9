import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type AgentCliRun, agentCliEnv, ensureAgentCliKey, logInAtIdp, runAgentCli } from '@ema/demo-kit'
import { startRoles, urls, type RunningRoles } from './support/start-roles.ts'

// The headless agent CLI (apps/agent-cli) run as its own process against our IdP,
// authorization server and MCP server, as `npm run agent -- …` runs it against `npm start`.
// Its registrations (docs/demo-world.md): acme-agent-cli at the IdP and acme-agent-cli-tasks at the
// authorization server, both private_key_jwt with a key pair made here, as `npm start` makes one.

const workDir = mkdtempSync(path.join(tmpdir(), 'agent-cli-'))
const keyFile = path.join(workDir, 'agent-cli-key.json')
let roles: RunningRoles | undefined

before(async () => {
  roles = await startRoles({ AGENT_CLI_JWKS: JSON.stringify(ensureAgentCliKey(keyFile).publicJwks) }) // a fresh key pair, as npm start makes one
})
after(async () => {
  await roles?.stop()
  rmSync(workDir, { recursive: true, force: true })
})

type AgentRun = AgentCliRun

interface RunOptions {
  stateFile: string
  env?: Record<string, string>
  stdin?: string
  /** Plays the browser: gets the sign-in URL the CLI prints. */
  browser?: (authorizationUrl: string) => Promise<void>
}

/** Runs the agent CLI with the interop URLs and its own state file. */
function runAgent(args: string[], options: RunOptions): Promise<AgentRun> {
  return runAgentCli(args, {
    env: {
      ...agentCliEnv(process.env, urls, { keyFile, stateFile: options.stateFile, loginTimeoutSeconds: 20 }),
      ...options.env,
    },
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    ...(options.browser === undefined ? {} : { browser: options.browser }),
  }).done
}

/** The browser: signs `username` in at the IdP and follows the redirect to the CLI's loopback listener. */
function browserSigningIn(username: string): (authorizationUrl: string) => Promise<void> {
  return async (authorizationUrl) => {
    const redirectUri = new URL(authorizationUrl).searchParams.get('redirect_uri') ?? ''
    const callback = await logInAtIdp(authorizationUrl, redirectUri, { username, password: `${username}-password` })
    const page = await fetch(callback)
    assert.equal(page.status, 200, await page.clone().text())
    assert.match(await page.text(), new RegExp(`Signed in as ${username}`))
  }
}

interface KeptState {
  refreshToken?: string
  idToken?: string
  idTokenExpiresAt?: number
  accessToken?: { token: { access_token: string }; grantedScope?: string; expiresAt: number }
}
const readState = (file: string): KeptState => JSON.parse(readFileSync(file, 'utf8')) as KeptState
const editState = (file: string, edit: (state: KeptState) => void): void => {
  const state = readState(file)
  edit(state)
  writeFileSync(file, JSON.stringify(state))
}
/** The `whoami` tool's JSON answer. */
const whoami = (run: AgentRun): { subject: string; client_id: string; scopes: string[] } =>
  JSON.parse(run.stdout) as { subject: string; client_id: string; scopes: string[] }
const count = (text: string, pattern: RegExp): number => text.split('\n').filter((line) => pattern.test(line)).length

describe('the agent CLI, signed in once as alice', () => {
  const stateFile = path.join(workDir, 'alice.json')

  test('CL-13 CL-14 CL-15 CL-45 login through the browser with a loopback redirect keeps the IdP refresh token, mode 0600', async () => {
    const run = await runAgent(['login'], { stateFile, browser: browserSigningIn('alice') })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fcallback/) // RFC 8252 §7.3: an IP literal and an ephemeral port
    assert.match(run.stdout, /Signed in as Alice Anderson \(alice\)/)
    const state = readState(stateFile)
    assert.equal(typeof state.refreshToken, 'string')
    assert.equal(typeof state.idToken, 'string')
    assert.equal(statSync(stateFile).mode & 0o777, 0o600)
    // CL-34: neither token is printed.
    for (const token of [state.refreshToken!, state.idToken!])
      assert.equal(`${run.stdout}${run.stderr}`.includes(token), false)
  })

  test('CL-28 call whoami runs the whole chain with private_key_jwt at both token endpoints, without a login', async () => {
    const run = await runAgent(['call', 'whoami'], { stateFile })
    assert.equal(run.code, 0, run.stderr)
    const me = whoami(run)
    assert.equal(me.subject, 'acme|u-1001') // AS-19: alice, namespaced by her IdP
    assert.equal(me.client_id, 'acme-agent-cli-tasks') // IDP-21: the CLI's id at the authorization server
    assert.deepEqual([...me.scopes].sort(), ['tasks.read', 'tasks.write'])
    assert.match(run.stderr, /\[ok\] Token exchange at Acme SSO.*client authentication private_key_jwt/)
    assert.match(
      run.stderr,
      /\[ok\] Access token from the MCP authorization server.*client authentication private_key_jwt/,
    )
    assert.match(run.stderr, /the ID token from sign-in is still valid \(CL-24\)/)
    const state = readState(stateFile)
    assert.equal(state.accessToken?.grantedScope, 'tasks.read tasks.write')
    // CL-34: no credential in the output of a run that obtained them all.
    for (const token of [state.refreshToken!, state.idToken!, state.accessToken!.token.access_token])
      assert.equal(`${run.stdout}${run.stderr}`.includes(token), false)
  })

  test('a kept access token is reused until it expires: no token exchange', async () => {
    const run = await runAgent(['call', 'whoami'], { stateFile })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(whoami(run).subject, 'acme|u-1001')
    assert.match(run.stderr, /Access token kept from an earlier run/)
    assert.equal(count(run.stderr, /Token exchange at/), 0)
    assert.equal(count(run.stderr, /Subject token for the token exchange/), 0) // no IdP round trip at all
  })

  test('CL-44 a kept access token the MCP server refuses (401) is replaced in the same run from a fresh ID-JAG', async () => {
    editState(stateFile, (state) => {
      const token = state.accessToken!.token.access_token
      state.accessToken!.token.access_token = `${token.slice(0, -4)}AAAA` // a broken signature, still "unexpired"
    })
    const run = await runAgent(['call', 'whoami'], { stateFile })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(whoami(run).subject, 'acme|u-1001')
    assert.equal(count(run.stderr, /re-acquired by the MCP SDK/), 1)
    assert.ok(!readState(stateFile).accessToken?.token.access_token.endsWith('AAAA')) // the new token is kept
  })

  test('CL-44 an expired access token makes the agent run the exchange again with a fresh ID-JAG', async () => {
    const before = readState(stateFile).accessToken?.token.access_token
    editState(stateFile, (state) => {
      state.accessToken!.expiresAt = Date.now() - 1000
    })
    const run = await runAgent(['call', 'whoami'], { stateFile })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(count(run.stderr, /\[ok\] Token exchange at Acme SSO/), 1)
    assert.equal(count(run.stderr, /Access token kept from an earlier run/), 0)
    const after = readState(stateFile).accessToken
    assert.notEqual(after?.token.access_token, before)
    assert.ok((after?.expiresAt ?? 0) > Date.now())
  })

  test('CL-45 IDP-04 once the ID token has expired, the IdP refresh token is the subject token: still no login', async () => {
    editState(stateFile, (state) => {
      state.idTokenExpiresAt = Date.now() - 1000
      delete state.accessToken
    })
    const run = await runAgent(['call', 'whoami'], { stateFile })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(whoami(run).subject, 'acme|u-1001')
    assert.match(run.stderr, /the IdP refresh token is the subject token \(CL-45\)/)
  })

  test('CL-46 on 403 insufficient_scope the agent asks once for the union of its scopes and the challenged ones', async () => {
    assert.equal(readState(stateFile).accessToken?.grantedScope, 'tasks.read tasks.write') // kept, but broader than --scope
    // --scope: least privilege on the first exchange, so the token lacks tasks.write.
    const run = await runAgent(
      ['call', '--scope', 'tasks.read', 'add_task', JSON.stringify({ title: 'Ship the CLI' })],
      { stateFile },
    )
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /Ship the CLI/)
    assert.equal(count(run.stderr, /Access token kept from an earlier run/), 0) // the broader kept token is not sent
    assert.match(run.stderr, /Token exchange at Acme SSO.*granted scope: tasks\.read\)/) // the first token: tasks.read only
    assert.equal(
      count(run.stderr, /re-acquired by the MCP SDK.*granted scope: tasks\.read tasks\.write/),
      1,
      run.stderr,
    )
    assert.equal(readState(stateFile).accessToken?.grantedScope, 'tasks.read tasks.write') // the union, kept
  })

  test('CL-45 a kept ID token the IdP refuses (invalid_grant) asks for a new sign-in, naming why', async () => {
    const brokenFile = path.join(workDir, 'broken-id-token.json')
    writeFileSync(brokenFile, readFileSync(stateFile, 'utf8'))
    editState(brokenFile, (state) => {
      state.idToken = `${state.idToken!.slice(0, -4)}AAAA` // a broken signature, still "unexpired"
      state.idTokenExpiresAt = Date.now() + 10 * 60_000 // so that it, not the refresh token, is the subject
      delete state.accessToken
    })
    const run = await runAgent(['call', 'whoami'], { stateFile: brokenFile })
    assert.equal(run.code, 1)
    assert.match(
      run.stderr,
      /Refused \(login_required\): Acme SSO no longer accepts the kept ID token \(.*\); sign in again: npm run agent -- login/,
    )
  })

  test('login --id-token takes an ID token from stdin; without a refresh token it asks for a login once that expires', async () => {
    const idTokenFile = path.join(workDir, 'from-id-token.json')
    const { idToken } = readState(stateFile)
    const login = await runAgent(['login', '--id-token'], { stateFile: idTokenFile, stdin: `${idToken}\n` })
    assert.equal(login.code, 0, login.stderr)
    const call = await runAgent(['call', 'whoami'], { stateFile: idTokenFile })
    assert.equal(call.code, 0, call.stderr)
    assert.equal(whoami(call).subject, 'acme|u-1001')
    editState(idTokenFile, (state) => {
      state.idTokenExpiresAt = Date.now() - 1000
      delete state.accessToken
    })
    const expired = await runAgent(['call', 'whoami'], { stateFile: idTokenFile })
    assert.equal(expired.code, 1)
    assert.match(expired.stderr, /Refused \(login_required\): .*npm run agent -- login/)
  })

  test('logout forgets everything; the next call asks for a login', async () => {
    const logout = await runAgent(['logout'], { stateFile })
    assert.equal(logout.code, 0, logout.stderr)
    const call = await runAgent(['call', 'whoami'], { stateFile })
    assert.equal(call.code, 1)
    assert.match(call.stderr, /Refused \(login_required\): Not signed in/)
  })
})

describe('the agent CLI refusing', () => {
  test('CL-46 bob (sales: tasks.read) steps up once, and the refusal says which scope is missing', async () => {
    const stateFile = path.join(workDir, 'bob.json')
    assert.equal((await runAgent(['login'], { stateFile, browser: browserSigningIn('bob') })).code, 0)
    const run = await runAgent(['call', 'add_task', JSON.stringify({ title: 'x' })], { stateFile })
    assert.equal(run.code, 1)
    assert.match(run.stderr, /Refused \(insufficient_scope\): .*lacks tasks\.write/)
    assert.equal(count(run.stderr, /re-acquired by the MCP SDK/), 1, run.stderr) // one step-up, then the refusal (CL-46: limit retries)
  })

  test('login --id-token refuses an ID token issued to another client before any request, naming why the IdP would (IDP-06)', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'ES256' })).toString('base64url')
    const payload = Buffer.from(
      JSON.stringify({ sub: 'u-1001', aud: 'acme-agent', exp: Math.floor(Date.now() / 1000) + 300 }),
    ).toString('base64url')
    const run = await runAgent(['login', '--id-token'], {
      stateFile: path.join(workDir, 'other.json'),
      stdin: `${header}.${payload}.sig`,
    })
    assert.equal(run.code, 1)
    assert.match(run.stderr, /issued to acme-agent, not to acme-agent-cli.*IDP-06/)
  })

  test('a missing key file is a configuration error that says how to create it', async () => {
    const run = await runAgent(['call', 'whoami'], {
      stateFile: path.join(workDir, 'none.json'),
      env: { AGENT_CLI_KEY_FILE: path.join(workDir, 'missing.json') },
    })
    assert.equal(run.code, 1)
    assert.match(run.stderr, /Configuration error: .*missing\.json does not exist\. `npm start` creates it/)
  })
})
