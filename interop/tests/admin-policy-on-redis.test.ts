/**
 * Decision 0080, issues 12 and 14: the administrator's policy and the audit trail on Redis, shared by
 * two IdP processes (`node src/main.ts`, as `npm run start:cluster` runs them) on one real
 * redis-server of the test's own. Ports 5800-5819: Redis 5800, the IdP instances 5801 (the
 * deployment's issuer) and 5802; nothing listens at the client, AS and MCP server URLs (they only
 * name the demo world's audience and resource).
 *
 * - an edit at instance 1 (a user disabled, a client switched off) refuses the next exchange at instance 2;
 * - the audit trail of either instance's console shows the other's decisions;
 * - both instances restarted → the edits are still in force; the demo reset at one restores the demo policy at both;
 * - Redis stopped → the exchange fails closed (503 OAuth JSON), the admin API and console answer 503
 *   saying why, never a 500; Redis back → served again without a restart.
 */
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import {
  appFolder,
  basicAuthorization,
  clientSecretBasic,
  ensureDeploymentKeys,
  signInAtIdp,
  startRedisServer,
  startRoles,
  type RunningRedisServer,
  type RunningRole,
  type RunningRoles,
} from '@ema/demo-kit'

const ONE = 'http://localhost:5801' // the deployment's issuer, instance 1
const TWO = 'http://localhost:5802' // instance 2, same issuer
const CLIENT = 'http://localhost:5803'
const AS = 'http://localhost:5804'
const RS = 'http://localhost:5805/mcp'
const ADMIN = basicAuthorization('admin', 'admin-password')
const RESET_SECRET = 'admin-policy-on-redis-reset-secret'

let redis: RunningRedisServer
let env: NodeJS.ProcessEnv
const running: RunningRoles[] = []
const instances: Record<'one' | 'two', RunningRole | undefined> = { one: undefined, two: undefined }

async function start(name: 'one' | 'two'): Promise<RunningRole> {
  const url = name === 'one' ? ONE : TWO
  const roles = await startRoles(
    [{ name: `idp-${name}`, cwd: appFolder('idp'), port: Number(new URL(url).port), readyUrl: `${url}/readyz` }],
    { env: { ...env, IDP_PORT: new URL(url).port }, outputLimit: 20_000 },
  )
  running.push(roles)
  instances[name] = roles.roles[0]!
  return roles.roles[0]!
}

before(async () => {
  redis = await startRedisServer({
    port: 5800,
    ...(process.env.REDIS_SERVER === undefined ? {} : { command: process.env.REDIS_SERVER }),
  })
  const keys = ensureDeploymentKeys(join(mkdtempSync(join(tmpdir(), 'ema-admin-redis-')), 'keys.json'))
  const { IDP_PORT: _port, ...base } = process.env
  env = {
    ...base,
    ...keys.env,
    IDP_ISSUER: ONE,
    AS_ISSUER: AS,
    RS_RESOURCE: RS,
    CLIENT_URL: CLIENT,
    ALLOW_INSECURE_HTTP: 'true',
    LOG_LEVEL: 'warn',
    AUDIT_LOG: 'off',
    IDP_POLICY_STATE_FILE: 'off', // ignored with REDIS_URL; never a developer's .demo/ file
    REDIS_URL: redis.url,
    REDIS_COMMAND_TIMEOUT_MS: '500',
    // Off, so that with Redis gone the policy is the exchange's only use of Redis (what the outage test proves).
    TOKEN_RATE_LIMIT_PER_MINUTE: '0',
    DEMO_RESET: 'true',
    DEMO_RESET_SECRET: RESET_SECRET,
  }
  await start('one')
  await start('two')
})
after(async () => {
  await Promise.all(running.map((roles) => roles.stop()))
  await redis.stop()
})

async function json(
  response: Response,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers; text: string }> {
  const text = await response.text()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    // not JSON: the assertions on `text` say so
  }
  return { status: response.status, body, headers: response.headers, text }
}

/** A sign-in at the deployment (instance 1): the ID token is the subject token of the exchanges. */
const idTokenOf = async (username: string) =>
  (
    await signInAtIdp({
      idp: ONE,
      clientId: 'acme-agent',
      redirectUri: `${CLIENT}/callback`,
      username,
      password: `${username}-password`,
      clientAuth: clientSecretBasic('acme-agent', 'acme-agent-idp-secret'),
    })
  ).id_token

/** RFC 8693 at one instance: an ID token → an ID-JAG for the AS and Tasks. */
const exchangeAt = async (instance: string, idToken: string) =>
  json(
    await fetch(`${instance}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuthorization('acme-agent', 'acme-agent-idp-secret'),
      },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: idToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
        audience: AS,
        resource: RS,
      }),
      signal: AbortSignal.timeout(10_000),
    }),
  )

/** The admin JSON API of one instance, as a script calls it (HTTP Basic). */
const adminApi = async (instance: string, method: string, path: string, body?: unknown) =>
  json(
    await fetch(`${instance}/admin/api${path}`, {
      method,
      headers: { authorization: ADMIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    }),
  )

/** The audit events of one instance's console, waiting (briefly) for `match` to be among them. */
async function auditEventAt(
  instance: string,
  match: (event: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 5_000
  for (;;) {
    const answer = await adminApi(instance, 'GET', '/audit')
    assert.equal(answer.status, 200, answer.text)
    const found = (answer.body.events as Record<string, unknown>[]).find(match)
    if (found !== undefined) return found
    assert.ok(Date.now() < deadline, `no such audit event at ${instance}: ${answer.text.slice(0, 2000)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

let bob: string
let alice: string

test('IDP-13 IDP-55 a user disabled through the admin API of instance 1 is refused at the next exchange at instance 2 (access_denied naming the rule), and the trail of either console shows it', async () => {
  bob = await idTokenOf('bob')
  alice = await idTokenOf('alice')
  const before = await exchangeAt(TWO, bob)
  assert.equal(before.status, 200, before.text)
  assert.equal(before.body.scope, 'tasks.read')

  const edit = await adminApi(ONE, 'PUT', '/users/bob', { disabled: true })
  assert.equal(edit.status, 200, edit.text)
  assert.deepEqual(edit.body.disabledUsers, ['bob'])

  const refused = await exchangeAt(TWO, bob)
  assert.equal(refused.status, 400, refused.text)
  assert.equal(refused.body.error, 'access_denied')
  assert.match(String(refused.body.error_description), /disabled-user:bob/)
  assert.equal(refused.headers.get('cache-control'), 'no-store')
  assert.equal((await exchangeAt(ONE, bob)).body.error, 'access_denied', 'and at instance 1')
  assert.equal((await exchangeAt(TWO, alice)).status, 200, 'alice is untouched')

  // Instance 1's console shows instance 2's refusal, with the rule: one trail for the deployment.
  const event = await auditEventAt(
    ONE,
    (candidate) => candidate.user === 'bob' && candidate.decision === 'refused' && candidate.event === 'token_exchange',
  )
  assert.equal(event.rule, 'disabled-user:bob')
  assert.equal(event.error, 'access_denied')
  assert.equal(event.client_id, 'acme-agent')
  assert.equal(event.resource, RS)
  assert.equal((await adminApi(TWO, 'GET', '/policy')).body.disabledUsers?.toString(), 'bob')
})

test("IDP-13 IDP-55 a client's access switched off at instance 2 refuses the next exchange at instance 1", async () => {
  const off = await adminApi(TWO, 'PUT', '/client-access', { client: 'acme-agent', resource: RS, enabled: false })
  assert.equal(off.status, 200, off.text)
  const refused = await exchangeAt(ONE, alice)
  assert.equal(refused.status, 400, refused.text)
  assert.equal(refused.body.error, 'access_denied')
  assert.match(String(refused.body.error_description), /client-access-off:acme-agent/)
  const event = await auditEventAt(
    TWO,
    (candidate) => candidate.user === 'alice' && candidate.rule === 'client-access-off:acme-agent',
  )
  assert.equal(event.decision, 'refused')
})

test('IDP-13 both instances restarted: the edits are still in force; the demo reset at one restores the demo policy at both', async () => {
  for (const name of ['one', 'two'] as const) {
    const instance = instances[name]!
    await instance.stop()
    assert.equal(instance.child.exitCode, 0, instance.output())
  }
  await start('one')
  await start('two')
  const policy = await adminApi(TWO, 'GET', '/policy')
  assert.deepEqual(policy.body.disabledUsers, ['bob'])
  assert.deepEqual(policy.body.disabledClientAccess, [{ client: 'acme-agent', resource: RS }])
  assert.equal((await exchangeAt(ONE, bob)).body.error, 'access_denied')
  assert.equal((await exchangeAt(TWO, alice)).body.error, 'access_denied')

  const reset = await fetch(`${TWO}/demo/reset`, {
    method: 'POST',
    headers: { authorization: `Bearer ${RESET_SECRET}` },
  })
  assert.equal(reset.status, 200, await reset.clone().text())
  await reset.body?.cancel()
  assert.equal((await exchangeAt(ONE, bob)).status, 200, 'bob is back at instance 1')
  assert.equal((await exchangeAt(ONE, alice)).status, 200)
  const demo = await adminApi(ONE, 'GET', '/policy')
  assert.deepEqual(demo.body.disabledUsers, [])
  assert.deepEqual(demo.body.disabledClientAccess, [])
})

test('IDP-13 Redis stopped: the exchange fails closed (503 temporarily_unavailable, OAuth JSON), the admin API and console answer 503 saying why, never a 500; Redis back → served again without a restart', async () => {
  await redis.stop()
  try {
    for (const instance of [ONE, TWO]) {
      const started = Date.now()
      const exchange = await exchangeAt(instance, bob)
      assert.ok(Date.now() - started < 3_000, `answered in ${Date.now() - started} ms`)
      assert.equal(exchange.status, 503, exchange.text)
      assert.equal(exchange.body.error, 'temporarily_unavailable')
      assert.deepEqual(Object.keys(exchange.body).sort(), ['error', 'error_description'])
      assert.equal('access_token' in exchange.body, false)

      const edit = await adminApi(instance, 'PUT', '/users/bob', { disabled: true })
      assert.equal(edit.status, 503, edit.text)
      assert.deepEqual(edit.body, {
        error: 'temporarily_unavailable',
        error_description:
          'the shared store (Redis) that keeps the policy and the audit trail cannot be reached; the change was not made',
      })
      for (const path of ['/policy', '/audit']) {
        const read = await adminApi(instance, 'GET', path)
        assert.equal(read.status, 503, `${path}: ${read.text}`)
        assert.equal(read.body.error, 'temporarily_unavailable')
      }
    }
  } finally {
    await redis.start() // empty: this Redis keeps nothing on disk, so the demo policy is in force again
  }
  // Each instance reconnects on its own schedule: wait for both, each within the same 10 s.
  const deadline = Date.now() + 10_000
  const untilOk = async <T extends { status: number }>(attempt: () => Promise<T>): Promise<T> => {
    let answer = await attempt()
    while (answer.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      answer = await attempt()
    }
    return answer
  }
  for (const instance of [ONE, TWO]) {
    const answer = await untilOk(() => exchangeAt(instance, bob))
    assert.equal(answer.status, 200, answer.text)
  }
  const edit = await untilOk(() => adminApi(ONE, 'PUT', '/users/carol', { disabled: true }))
  assert.equal(edit.status, 200, `edits work again: ${edit.text}`)
  for (const instance of Object.values(instances)) assert.equal(instance?.hasExited(), false, 'not restarted')
  const output = Object.values(instances)
    .map((instance) => instance?.output() ?? '')
    .join('\n')
  assert.ok(!output.includes(bob) && !output.includes('admin-password'), 'no token or password in any log')
})
