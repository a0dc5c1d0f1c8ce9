// `npm run start:cluster`: the demo world as a small production-shaped deployment on one machine:
// Redis (REDIS_URL, else a redis-server started here on a free port), two instances each of the IdP,
// the authorization server, the MCP server and the Tasks API sharing it (state, signing keys, cookie
// keys), each pair behind a round-robin proxy on the role's public port (a stand-in for a load
// balancer), plus the client. Logs prefixed by instance; Ctrl-C stops everything (SIGTERM: each role
// drains and exits 0). See docs/deployment.md.
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  ensureAgentCliKey,
  ensureDeploymentKeys,
  startRedisServer,
  startRoundRobinProxy,
  type RoundRobinProxy,
  type RunningRedisServer,
} from '@ema/demo-kit'
import { demoBundles, demoRoles, runDemoRoles, withDemoUrls } from './demo-roles.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const env = withDemoUrls({ ...process.env })
// The MCP server's on-behalf-of exchange: its secret at the AS's plain token endpoint (no mTLS alias here).
env.TOKEN_EXCHANGE_CLIENT_ID ??= 'tasks-mcp-server'
env.TOKEN_EXCHANGE_URL ??= `${env.AS_ISSUER}/token`
env.TOKEN_EXCHANGE_CLIENT_SECRET ??= 'tasks-mcp-server-secret'
for (const name of Object.keys(env))
  if (
    name.startsWith('AS_MTLS_') ||
    name.startsWith('TOKEN_EXCHANGE_CLIENT_CERT') ||
    name === 'TOKEN_EXCHANGE_CLIENT_KEY_FILE'
  )
    delete env[name]
delete env.IDP_PORT
delete env.AS_PORT
delete env.RS_PORT
delete env.TASKS_API_PORT

const ports = (name: string, fallback: string): number[] =>
  (env[name] ?? fallback).split(',').map((port) => Number(port.trim()))
const idpPorts = ports('IDP_INSTANCE_PORTS', '4101,4201')
const asPorts = ports('AS_INSTANCE_PORTS', '4102,4202')
const rsPorts = ports('RS_INSTANCE_PORTS', '4103,4203')
const tasksApiPorts = ports('TASKS_API_INSTANCE_PORTS', '4104,4204')

const fail = (message: string): never => {
  console.error(`[setup] ${message}`)
  process.exit(1)
}
const where = (file: string) => (relative(root, file).startsWith('..') ? file : relative(root, file))

// What every instance must share: signing keys (two per role: rotation) and the IdP's cookie keys.
const keys = ensureDeploymentKeys(resolve(env.CLUSTER_KEYS_FILE ?? join(root, '.demo', 'cluster-keys.json')))
for (const [name, value] of Object.entries(keys.env)) env[name] ??= value
console.log(
  `[setup] ${keys.created ? "generated the deployment's signing and cookie keys in" : 'deployment keys:'} ${where(keys.file)} (git-ignored; demo keys only)`,
)
if (env.AGENT_CLI_JWKS === undefined) {
  const agentCliKey = ensureAgentCliKey(resolve(env.AGENT_CLI_KEY_FILE ?? join(root, '.demo', 'agent-cli-key.json')))
  env.AGENT_CLI_JWKS = JSON.stringify(agentCliKey.publicJwks)
}

let redis: RunningRedisServer | undefined
if (env.REDIS_URL === undefined || env.REDIS_URL === '') {
  try {
    redis = await startRedisServer()
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}`)
  }
  env.REDIS_URL = redis!.url
  console.log(`[setup] started redis-server on 127.0.0.1:${redis!.port} (no persistence, noeviction)`)
} else {
  console.log('[setup] using the Redis at REDIS_URL')
}

const local = (port: number) => `http://localhost:${port}`
const proxies: RoundRobinProxy[] = []
/** Once every role has drained and exited (SIGTERM: each closes Redis and exits 0): the proxies and Redis. */
async function stopped(code: number): Promise<void> {
  await Promise.all(proxies.map((proxy) => proxy.close()))
  await redis?.stop()
  process.exit(code)
}

// The public URLs of the scaled roles: a round-robin proxy on each one's port.
try {
  proxies.push(await startRoundRobinProxy({ port: Number(new URL(env.IDP_ISSUER).port), targets: idpPorts }))
  proxies.push(await startRoundRobinProxy({ port: Number(new URL(env.AS_ISSUER).port), targets: asPorts }))
  proxies.push(await startRoundRobinProxy({ port: Number(new URL(env.RS_RESOURCE).port), targets: rsPorts }))
  proxies.push(await startRoundRobinProxy({ port: Number(new URL(env.TASKS_API_URL).port), targets: tasksApiPorts }))
} catch (error) {
  console.error(`[setup] cannot listen on an issuer's port: ${error instanceof Error ? error.message : String(error)}`)
  await stopped(1)
}

// Decision 0105: each instance runs its role's bundle, as npm start does.
const bundles = await demoBundles(env)
if (
  await runDemoRoles(
    demoRoles(env, { idp: idpPorts, as: asPorts, tasksApi: tasksApiPorts, rs: rsPorts }, bundles),
    env,
    stopped,
  )
) {
  const bold = (s: string) => `\x1b[1m${s}\x1b[0m`
  console.log(`
${bold('MCP Enterprise-Managed Authorization: the cluster is running.')}

  ${bold('Open the demo')}       ${env.CLIENT_URL}   (alice / alice-password …, as with npm start)

  Redis               ${redis === undefined ? 'REDIS_URL' : `127.0.0.1:${redis.port}`}  (replay store, sessions, grants, rate limits, MCP sessions, tasks)
  Acme SSO (IdP)      ${env.IDP_ISSUER}  → round robin over ${idpPorts.map(local).join(', ')}
  MCP auth server     ${env.AS_ISSUER}  → round robin over ${asPorts.map(local).join(', ')}
  MCP server Tasks    ${env.RS_RESOURCE}  → round robin over ${rsPorts.map(local).join(', ')}
  Tasks API           ${env.TASKS_API_URL}  → round robin over ${tasksApiPorts.map(local).join(', ')}

  Each instance answers /healthz and /readyz. Stop one instance (kill -TERM <pid>) and the
  other carries on; sign-ins, refresh tokens, redeemed ID-JAGs, MCP sessions and tasks live in Redis.
  Ctrl-C stops everything.
`)
}
