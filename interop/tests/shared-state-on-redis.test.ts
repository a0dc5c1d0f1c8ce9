/**
 * Decision 0040, issue 14: N instances of a role on one Redis, and restarts that forget nothing. Real
 * processes (`node src/main.ts` per role: the sources `npm start` bundles) on ports 5700-5720, a real
 * redis-server of the test's own on a free port:
 *
 * - 50 concurrent redemptions of one ID-JAG spread over two authorization server processes → exactly one 200 (AS-23);
 * - redeem, restart the AS, replay → refused;
 * - a kept sign-in (an IdP refresh token as subject_token, as the agent CLI keeps it) works after the IdP restarts;
 * - Redis stopped → 503 temporarily_unavailable OAuth bodies at both roles, quickly, no 500; /readyz 503;
 * - Redis back → served again, without restarting any role;
 * - SIGTERM → each role exits 0.
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
  type RoleSpec,
  type RunningRedisServer,
  type RunningRole,
  type RunningRoles,
} from '@ema/demo-kit'

const CLIENT = 'http://localhost:5700'
const IDP = 'http://localhost:5701'
const AS = 'http://localhost:5702' // the deployment's issuer; instance B listens on 5703
const AS_B = 'http://localhost:5703'
const RS = 'http://localhost:5704/mcp'
const URN = {
  TOKEN_EXCHANGE: 'urn:ietf:params:oauth:grant-type:token-exchange',
  JWT_BEARER: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
  ID_TOKEN: 'urn:ietf:params:oauth:token-type:id_token',
  REFRESH_TOKEN: 'urn:ietf:params:oauth:token-type:refresh_token',
  ID_JAG: 'urn:ietf:params:oauth:token-type:id-jag',
}

let redis: RunningRedisServer
let env: NodeJS.ProcessEnv
const running: RunningRoles[] = []

const spec = (
  name: string,
  folder: string,
  url: string,
  extra: Record<string, string> = {},
): { spec: RoleSpec; env: NodeJS.ProcessEnv } => ({
  spec: { name, cwd: appFolder(folder), port: Number(new URL(url).port), readyUrl: `${url}/readyz` },
  env: { ...env, ...extra },
})

async function start(name: 'idp' | 'as-a' | 'as-b'): Promise<RunningRole> {
  const { spec: roleSpec, env: roleEnv } =
    name === 'idp'
      ? spec('idp', 'idp', IDP)
      : spec(name, 'authorization-server', name === 'as-a' ? AS : AS_B, { AS_PORT: name === 'as-a' ? '5702' : '5703' })
  const roles = await startRoles([roleSpec], { env: roleEnv, outputLimit: 20_000 })
  running.push(roles)
  return roles.roles[0]!
}

let idp: RunningRole
let asA: RunningRole
let asB: RunningRole

before(async () => {
  redis = await startRedisServer(process.env.REDIS_SERVER === undefined ? {} : { command: process.env.REDIS_SERVER })
  const keys = ensureDeploymentKeys(join(mkdtempSync(join(tmpdir(), 'ema-cluster-')), 'keys.json'))
  const { AS_PORT: _a, IDP_PORT: _i, ...base } = process.env
  env = {
    ...base,
    ...keys.env,
    IDP_ISSUER: IDP,
    AS_ISSUER: AS,
    RS_RESOURCE: RS,
    CLIENT_URL: CLIENT,
    ALLOW_INSECURE_HTTP: 'true',
    LOG_LEVEL: 'warn',
    REDIS_URL: redis.url,
    REDIS_COMMAND_TIMEOUT_MS: '500',
    TOKEN_RATE_LIMIT_PER_MINUTE: '10000',
  }
  idp = await start('idp')
  asA = await start('as-a')
  asB = await start('as-b')
})
after(async () => {
  await Promise.all(running.map((roles) => roles.stop()))
  await redis.stop()
})

async function post(
  url: string,
  auth: string,
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(10_000),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

const signIn = () =>
  signInAtIdp({
    idp: IDP,
    clientId: 'acme-agent',
    redirectUri: `${CLIENT}/callback`,
    username: 'alice',
    password: 'alice-password',
    scope: 'openid profile email offline_access',
    prompt: 'consent',
    clientAuth: clientSecretBasic('acme-agent', 'acme-agent-idp-secret'),
  })

/** RFC 8693 at the IdP: a subject token → an ID-JAG for the AS and Tasks. */
const requestIdJag = (subjectToken: string, subjectTokenType = URN.ID_TOKEN) =>
  post(`${IDP}/token`, basicAuthorization('acme-agent', 'acme-agent-idp-secret'), {
    grant_type: URN.TOKEN_EXCHANGE,
    subject_token: subjectToken,
    subject_token_type: subjectTokenType,
    requested_token_type: URN.ID_JAG,
    audience: AS,
    resource: RS,
    scope: 'tasks.read',
  })

async function idJag(subjectToken: string): Promise<string> {
  const answer = await requestIdJag(subjectToken)
  assert.equal(answer.status, 200, JSON.stringify(answer.body))
  return answer.body.access_token as string
}

/** RFC 7523 at one AS instance. */
const redeem = (instance: string, assertion: string) =>
  post(`${instance}/token`, basicAuthorization('acme-agent-tasks', 'acme-agent-as-secret'), {
    grant_type: URN.JWT_BEARER,
    assertion,
  })

const waitReady = async (url: string) => {
  const deadline = Date.now() + 10_000
  while (
    (await fetch(`${url}/readyz`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    assert.ok(Date.now() < deadline, `${url} ready again within 10 s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

let alice: Awaited<ReturnType<typeof signIn>>

test('AS-23 50 concurrent redemptions of one ID-JAG over two AS processes on one Redis → exactly one 200, the others invalid_grant', async () => {
  alice = await signIn()
  const assertion = await idJag(alice.id_token)
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => redeem(i % 2 === 0 ? AS : AS_B, assertion)))
  const statuses = answers.map((answer) => answer.status)
  assert.equal(statuses.filter((status) => status === 200).length, 1, statuses.join(' '))
  assert.equal(statuses.filter((status) => status === 400).length, 49)
  assert.ok(answers.filter((answer) => answer.status === 400).every((answer) => answer.body.error === 'invalid_grant'))
})

test('AS-23 redeem, restart the AS, replay → refused; the restarted instance exits 0 on SIGTERM', async () => {
  const assertion = await idJag(alice.id_token)
  assert.equal((await redeem(AS, assertion)).status, 200)
  await asA.stop()
  assert.equal(asA.child.exitCode, 0, asA.output())
  asA = await start('as-a')
  const replay = await redeem(AS, assertion)
  assert.equal(replay.status, 400)
  assert.equal(replay.body.error, 'invalid_grant')
  assert.equal((await redeem(AS_B, assertion)).status, 400, 'and at the other instance')
})

test('IDP-04 a kept sign-in (the refresh token as subject_token, as the agent CLI does) still works after the IdP restarts', async () => {
  assert.ok(alice.refresh_token !== undefined)
  await idp.stop()
  assert.equal(idp.child.exitCode, 0, idp.output())
  idp = await start('idp')
  const answer = await requestIdJag(alice.refresh_token, URN.REFRESH_TOKEN)
  assert.equal(answer.status, 200, JSON.stringify(answer.body))
  assert.equal(
    (await redeem(AS_B, answer.body.access_token as string)).status,
    200,
    'the restarted IdP signs with the same keys',
  )
})

test('Redis stopped → 503 temporarily_unavailable OAuth bodies quickly (no 500, no hang), /readyz 503, /healthz 200; Redis back → served again without a restart', async () => {
  const assertion = await idJag(alice.id_token)
  await redis.stop()
  try {
    for (const instance of [AS, AS_B]) {
      const started = Date.now()
      const answer = await redeem(instance, assertion)
      assert.ok(Date.now() - started < 3_000, `answered in ${Date.now() - started} ms`)
      assert.equal(answer.status, 503, JSON.stringify(answer.body))
      assert.equal(answer.body.error, 'temporarily_unavailable')
      assert.deepEqual(Object.keys(answer.body).sort(), ['error', 'error_description'])
      assert.equal((await fetch(`${instance}/readyz`)).status, 503)
      assert.equal((await fetch(`${instance}/healthz`)).status, 200)
    }
    const atIdp = await requestIdJag(alice.refresh_token!, URN.REFRESH_TOKEN)
    assert.equal(atIdp.status, 503, JSON.stringify(atIdp.body))
    assert.equal(atIdp.body.error, 'temporarily_unavailable')
  } finally {
    await redis.start() // empty: this Redis keeps nothing on disk
  }
  await Promise.all([IDP, AS, AS_B].map(waitReady))
  // The same processes serve again: the ID-JAG refused during the outage was never marked used.
  assert.equal((await redeem(AS_B, assertion)).status, 200)
  assert.equal((await redeem(AS, assertion)).status, 400)
  for (const role of [idp, asA, asB]) assert.equal(role.hasExited(), false, `${role.spec.name} was not restarted`)
  const output = [idp, asA, asB].map((role) => role.output()).join('\n')
  assert.ok(!output.includes(assertion) && !output.includes(alice.refresh_token!), 'no token in any log')
})
