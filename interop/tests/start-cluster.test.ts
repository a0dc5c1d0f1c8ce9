/**
 * `npm run start:cluster` (scripts/start-cluster.ts) on ports 5705-5718: it starts its own Redis, two
 * IdP and two AS instances behind round-robin proxies on the issuers' ports, and the other roles; the
 * whole chain works through the proxies; each instance is ready; the JWKS shows two keys (rotation);
 * SIGTERM stops everything with exit code 0.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { basicAuthorization, clientSecretBasic, signInAtIdp } from '@ema/demo-kit'

const root = fileURLToPath(new URL('../../', import.meta.url))
const URLS = {
  CLIENT_URL: 'http://localhost:5705',
  IDP_ISSUER: 'http://localhost:5706',
  AS_ISSUER: 'http://localhost:5707',
  RS_RESOURCE: 'http://localhost:5708/mcp',
  TASKS_API_URL: 'http://localhost:5709',
}
const INSTANCES = ['http://localhost:5715', 'http://localhost:5716', 'http://localhost:5717', 'http://localhost:5718']

test('npm run start:cluster: Redis, 2 IdP + 2 AS instances behind round-robin proxies and the other roles; the chain works; SIGTERM → exit 0', async () => {
  const { REDIS_URL: _r, AS_PORT: _a, IDP_PORT: _i, ...base } = process.env
  const child = spawn(process.execPath, ['scripts/start-cluster.ts'], {
    cwd: root,
    env: {
      ...base,
      ...URLS,
      IDP_INSTANCE_PORTS: '5715,5716',
      AS_INSTANCE_PORTS: '5717,5718',
      CLUSTER_KEYS_FILE: join(mkdtempSync(join(tmpdir(), 'ema-cluster-')), 'keys.json'),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  try {
    const deadline = Date.now() + 60_000
    while (!output.includes('the cluster is running')) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `not running within 60 s:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    for (const instance of INSTANCES) assert.equal((await fetch(`${instance}/readyz`)).status, 200, instance)
    const jwks = (await (await fetch(`${URLS.IDP_ISSUER}/jwks`)).json()) as { keys: unknown[] }
    assert.equal(jwks.keys.length, 2, 'the IdP publishes both configured keys')

    const alice = await signInAtIdp({
      idp: URLS.IDP_ISSUER,
      clientId: 'acme-agent',
      redirectUri: `${URLS.CLIENT_URL}/callback`,
      username: 'alice',
      password: 'alice-password',
      clientAuth: clientSecretBasic('acme-agent', 'acme-agent-idp-secret'),
    })
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    })
    const exchange = await fetch(`${URLS.IDP_ISSUER}/token`, {
      ...form({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: alice.id_token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
        audience: URLS.AS_ISSUER,
        resource: URLS.RS_RESOURCE,
        scope: 'tasks.read',
      }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuthorization('acme-agent', 'acme-agent-idp-secret'),
      },
    })
    assert.equal(exchange.status, 200, await exchange.clone().text())
    const assertion = ((await exchange.json()) as { access_token: string }).access_token
    const redeem = () =>
      fetch(`${URLS.AS_ISSUER}/token`, {
        ...form({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuthorization('acme-agent-tasks', 'acme-agent-as-secret'),
        },
      })
    assert.equal((await redeem()).status, 200)
    assert.equal((await redeem()).status, 400, 'the replay, sent to the other instance by the proxy, is refused')
  } finally {
    child.kill('SIGTERM')
  }
  assert.equal(await exited, 0, output)
})
