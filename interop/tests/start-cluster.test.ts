/**
 * `npm run start:cluster` (scripts/start-cluster.ts) on ports 5705-5718 and 5790-5793: it starts its own
 * Redis, two instances each of the IdP, the AS, the MCP server and the Tasks API behind round-robin
 * proxies on the roles' public ports, and the client; the whole chain works through the proxies, an MCP
 * session and the tasks included, whichever instance each request reaches; each instance is ready; the
 * JWKS shows two keys (rotation); SIGTERM stops everything with exit code 0.
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
const INSTANCES = [
  'http://localhost:5715',
  'http://localhost:5716',
  'http://localhost:5717',
  'http://localhost:5718',
  'http://localhost:5790',
  'http://localhost:5791',
  'http://localhost:5792',
  'http://localhost:5793',
]

/** One JSON-RPC request to the MCP endpoint (through its proxy); the answer from the JSON or SSE body. */
async function mcp(
  body: object,
  headers: Record<string, string>,
): Promise<{ status: number; sessionId: string | null; message: Record<string, unknown> | undefined }> {
  const response = await fetch(URLS.RS_RESOURCE, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  const json = text.startsWith('{') ? text : /^data: (.*)$/m.exec(text)?.[1]
  return {
    status: response.status,
    sessionId: response.headers.get('mcp-session-id'),
    message: json === undefined ? undefined : (JSON.parse(json) as Record<string, unknown>),
  }
}

test('npm run start:cluster: Redis, 2 instances each of the IdP, the AS, the MCP server and the Tasks API behind round-robin proxies; the chain, an MCP session and the tasks work across them; SIGTERM → exit 0', async () => {
  const { REDIS_URL: _r, AS_PORT: _a, IDP_PORT: _i, ...base } = process.env
  const child = spawn(process.execPath, ['scripts/start-cluster.ts'], {
    cwd: root,
    env: {
      ...base,
      ...URLS,
      IDP_INSTANCE_PORTS: '5715,5716',
      AS_INSTANCE_PORTS: '5717,5718',
      RS_INSTANCE_PORTS: '5790,5791',
      TASKS_API_INSTANCE_PORTS: '5792,5793',
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
    const asJwks = (await (await fetch(`${URLS.AS_ISSUER}/jwks`)).json()) as { keys: unknown[] }
    assert.equal(asJwks.keys.length, 2, 'the AS publishes both configured keys')

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
        scope: 'tasks.read tasks.write',
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
    const redeemed = await redeem()
    assert.equal(redeemed.status, 200)
    const accessToken = ((await redeemed.json()) as { access_token: string }).access_token
    assert.equal((await redeem()).status, 400, 'the replay, sent to the other instance by the proxy, is refused')

    // The MCP session and the tasks live in Redis: the proxies take turns, so the requests below reach
    // both MCP server instances and both Tasks API instances, and each sees what the other wrote.
    const auth = { authorization: `Bearer ${accessToken}` }
    const opened = await mcp(
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'cluster-test', version: '0' } },
      },
      auth,
    )
    assert.equal(opened.status, 200)
    const session = { ...auth, 'mcp-session-id': opened.sessionId!, 'mcp-protocol-version': '2025-06-18' }
    assert.equal((await mcp({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).status, 202)
    const title = `cluster task ${Date.now()}`
    const added = await mcp(
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'add_task', arguments: { title } } },
      session,
    )
    assert.equal(added.status, 200)
    assert.notEqual((added.message?.result as { isError?: boolean } | undefined)?.isError, true, JSON.stringify(added))
    for (const id of [3, 4]) {
      const listed = await mcp(
        { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'list_tasks', arguments: {} } },
        session,
      )
      assert.equal(listed.status, 200)
      assert.ok(JSON.stringify(listed.message).includes(title), `listed at both instances: ${JSON.stringify(listed)}`)
    }
  } finally {
    child.kill('SIGTERM')
  }
  assert.equal(await exited, 0, output)
})
