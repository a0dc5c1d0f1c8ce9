/**
 * Decision 0090, issue 14: two instances of the client web app (Acme Agent) on one real redis-server,
 * with the real IdP, as processes on ports 5780-5783. A sign-in started at instance 1 (its state,
 * nonce and PKCE verifier in the session) finishes at instance 2; the signed-in session shows at
 * instance 1, survives a restart, and a logout at one instance ends it at both; nothing of the session
 * is logged; Redis down → 503 JSON, no 500, no hang; Redis back → served again without a restart.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  appFolder,
  logInAtIdp,
  probeHealth,
  startRedisServer,
  startRoles,
  waitForReady,
  type RunningRedisServer,
  type RunningRole,
  type RunningRoles,
} from '@ema/demo-kit'

const CLIENT = 'http://localhost:5780' // the deployment's URL (a balancer's); the instances listen on 5781, 5782
const INSTANCE = ['http://localhost:5781', 'http://localhost:5782'] as const
const IDP = 'http://localhost:5783'

let redis: RunningRedisServer
let env: NodeJS.ProcessEnv
const running: RunningRoles[] = []
const clients: RunningRole[] = []

async function startClient(index: 0 | 1): Promise<RunningRole> {
  const roles = await startRoles(
    [
      {
        name: `client-${index + 1}`,
        cwd: appFolder('client'),
        port: Number(new URL(INSTANCE[index]).port),
        readyUrl: `${INSTANCE[index]}/readyz`,
      },
    ],
    { env: { ...env, CLIENT_PORT: new URL(INSTANCE[index]).port }, outputLimit: 50_000 },
  )
  running.push(roles)
  clients[index] = roles.roles[0]!
  return roles.roles[0]!
}

/** A request to an instance with the session cookie, redirects not followed. */
const at = (index: 0 | 1, path: string, cookie: string, init: RequestInit = {}) =>
  fetch(`${INSTANCE[index]}${path}`, {
    ...init,
    redirect: 'manual',
    headers: { cookie, ...(init.headers as Record<string, string> | undefined) },
    signal: AbortSignal.timeout(10_000),
  })

const signedInAs = async (index: 0 | 1, cookie: string): Promise<boolean> =>
  /data-testid="user">Signed in as [^<]*alice/i.test(await (await at(index, '/', cookie)).text())

before(async () => {
  redis = await startRedisServer(process.env.REDIS_SERVER === undefined ? {} : { command: process.env.REDIS_SERVER })
  const { CLIENT_PORT: _c, IDP_PORT: _i, ...base } = process.env
  env = {
    ...base,
    IDP_ISSUER: IDP,
    CLIENT_URL: CLIENT,
    AS_ISSUER: 'http://localhost:5784',
    RS_RESOURCE: 'http://localhost:5785/mcp',
    ALLOW_INSECURE_HTTP: 'true',
    LOG_LEVEL: 'debug',
    CLIENT_SESSION_SECRET: 'a-secret-every-client-instance-shares',
    REDIS_COMMAND_TIMEOUT_MS: '1000', // the default; a tighter one turns a loaded CI machine into 503s
  }
  // The IdP keeps its own state in memory here: only the client's sessions are under test.
  running.push(
    await startRoles([{ name: 'idp', cwd: appFolder('idp'), port: 5783, readyUrl: `${IDP}/readyz` }], { env }),
  )
  env.REDIS_URL = redis.url
  await Promise.all([startClient(0), startClient(1)])
})

after(async () => {
  await Promise.all(running.map((roles) => roles.stop()))
  await redis.stop()
})

/** POST /login at `start`, the IdP's login page as alice, GET /callback at `finish`; returns the cookie. */
async function signIn(start: 0 | 1, finish: 0 | 1): Promise<string> {
  const login = await at(start, '/login', '', { method: 'POST' })
  assert.equal(login.status, 303)
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
  assert.match(cookie, /^acme_agent_session=/)
  const authorizationUrl = login.headers.get('location')!
  assert.ok(authorizationUrl.startsWith(`${IDP}/`), authorizationUrl)
  const callback = await logInAtIdp(authorizationUrl, `${CLIENT}/callback`, {
    username: 'alice',
    password: 'alice-password',
  })
  const finished = await at(finish, `${callback.pathname}${callback.search}`, cookie)
  assert.equal(finished.status, 303)
  assert.equal(finished.headers.get('location'), '/')
  return cookie
}

test('CL-14 CL-15 a sign-in started at instance 1 finishes at instance 2 (state, nonce and PKCE verifier from Redis); instance 1 shows it', async () => {
  const cookie = await signIn(0, 1)
  assert.ok(await signedInAs(0, cookie), 'signed in at instance 1')
  assert.ok(await signedInAs(1, cookie), 'and at instance 2')
  const logs = clients.map((client) => client.output()).join('\n')
  assert.match(logs, /signed in/)
  assert.doesNotMatch(logs, /eyJ[\w-]+\.eyJ/, 'no token in any log')
  assert.doesNotMatch(logs, new RegExp(cookie.split('=')[1]!.split('.')[0]!), 'no session id in any log')
})

test('a restart of both instances signs no one out; a logout at one instance ends the session at both', async () => {
  const cookie = await signIn(1, 0)
  for (const client of clients) await client.stop()
  await Promise.all([startClient(0), startClient(1)])
  assert.ok(await signedInAs(0, cookie), 'kept across the restart')
  const logout = await at(1, '/logout', cookie, { method: 'POST' })
  assert.equal(logout.status, 303)
  assert.ok(!(await signedInAs(0, cookie)), 'ended at instance 1 too')
})

test('Redis down: 503 temporarily_unavailable JSON within the timeout, /readyz 503, /healthz 200; back: served again without a restart', async () => {
  const cookie = await signIn(0, 0)
  await redis.stop()
  try {
    for (const index of [0, 1] as const) {
      const started = Date.now()
      const page = await at(index, '/', cookie)
      assert.equal(page.status, 503)
      assert.deepEqual(await page.json(), {
        error: 'temporarily_unavailable',
        error_description: 'Acme Agent cannot reach its session store right now; try again in a moment',
      })
      const login = await at(index, '/login', '', { method: 'POST' })
      assert.equal(login.status, 503, 'a new sign-in cannot be kept either')
      assert.ok(Date.now() - started < 3000, 'no hang')
      assert.deepEqual(await probeHealth(INSTANCE[index]), { healthz: 200, readyz: 503 }, 'out of rotation, alive')
    }
  } finally {
    await redis.start()
  }
  await Promise.all(INSTANCE.map((origin) => waitForReady(`${origin}/readyz`, 10_000))) // each reconnects on its own
  // This Redis kept nothing across its own restart: the old session is gone, a new sign-in works.
  assert.ok(!(await signedInAs(1, cookie)))
  assert.ok(await signedInAs(0, await signIn(1, 0)))
  for (const client of clients) assert.doesNotMatch(client.output(), /unexpected error/)
})
