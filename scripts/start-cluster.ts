// `npm run start:cluster`: the demo world as a small production-shaped deployment on one machine:
// Redis (REDIS_URL, else a redis-server started here on a free port), two instances each of the IdP,
// the authorization server, the MCP server and the Tasks API sharing it (state, signing keys, cookie
// keys), each pair behind a round-robin proxy on the role's public port (a stand-in for a load
// balancer), plus the client. Logs prefixed by instance; Ctrl-C stops everything (SIGTERM: each role
// drains and exits 0). See docs/deployment.md.
import { spawn, type ChildProcess } from 'node:child_process'
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

const root = fileURLToPath(new URL('..', import.meta.url))
const env: NodeJS.ProcessEnv = { ...process.env }
env.IDP_ISSUER ??= 'http://localhost:4001'
env.AS_ISSUER ??= 'http://localhost:4002'
env.RS_RESOURCE ??= 'http://localhost:4003/mcp'
env.CLIENT_URL ??= 'http://localhost:3000'
env.TASKS_API_URL ??= 'http://localhost:4004'
env.ALLOW_INSECURE_HTTP ??= 'true'
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

interface Instance {
  name: string
  folder: string
  readyUrl: string
  env: NodeJS.ProcessEnv
  colour: number
}
const local = (port: number) => `http://localhost:${port}`
const instances: Instance[] = [
  ...idpPorts.map((port, i) => ({
    name: `idp-${i + 1}`,
    folder: 'apps/idp',
    readyUrl: `${local(port)}/readyz`,
    env: { ...env, IDP_PORT: String(port) },
    colour: 35,
  })),
  ...asPorts.map((port, i) => ({
    name: `auth-server-${i + 1}`,
    folder: 'apps/authorization-server',
    readyUrl: `${local(port)}/readyz`,
    env: { ...env, AS_PORT: String(port) },
    colour: 33,
  })),
  ...tasksApiPorts.map((port, i) => ({
    name: `tasks-api-${i + 1}`,
    folder: 'apps/tasks-api',
    readyUrl: `${local(port)}/readyz`,
    env: { ...env, TASKS_API_PORT: String(port) },
    colour: 34,
  })),
  ...rsPorts.map((port, i) => ({
    name: `mcp-server-${i + 1}`,
    folder: 'apps/resource-server',
    readyUrl: `${local(port)}/readyz`,
    env: { ...env, RS_PORT: String(port) },
    colour: 36,
  })),
  { name: 'client', folder: 'apps/client', readyUrl: `${env.CLIENT_URL}/`, env, colour: 32 },
]

const width = Math.max(...instances.map((instance) => instance.name.length))
const children: ChildProcess[] = []
const proxies: RoundRobinProxy[] = []
let stopping = false

async function stop(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  const exits = children
    .filter((child) => child.exitCode === null && child.signalCode === null)
    .map((child) => new Promise<void>((done) => child.once('exit', () => done())))
  for (const child of children) child.kill('SIGTERM') // each role drains, closes Redis, exits 0
  const timer = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL')
  }, 15_000)
  await Promise.all(exits)
  clearTimeout(timer)
  await Promise.all(proxies.map((proxy) => proxy.close()))
  await redis?.stop()
  process.exit(code)
}
process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))

// The public URLs of the scaled roles: a round-robin proxy on each one's port.
try {
  proxies.push(await startRoundRobinProxy({ port: Number(new URL(env.IDP_ISSUER!).port), targets: idpPorts }))
  proxies.push(await startRoundRobinProxy({ port: Number(new URL(env.AS_ISSUER!).port), targets: asPorts }))
  proxies.push(await startRoundRobinProxy({ port: Number(new URL(env.RS_RESOURCE!).port), targets: rsPorts }))
  proxies.push(await startRoundRobinProxy({ port: Number(new URL(env.TASKS_API_URL!).port), targets: tasksApiPorts }))
} catch (error) {
  console.error(`[setup] cannot listen on an issuer's port: ${error instanceof Error ? error.message : String(error)}`)
  await stop(1)
}

for (const instance of instances) {
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: join(root, instance.folder),
    env: instance.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const prefix = `\x1b[${instance.colour}m${instance.name.padEnd(width)} |\x1b[0m `
  for (const [stream, out] of [
    [child.stdout!, process.stdout],
    [child.stderr!, process.stderr],
  ] as const) {
    let buffered = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) out.write(prefix + line + '\n')
    })
  }
  child.on('exit', (code, signal) => {
    if (stopping) return
    console.error(`${prefix}exited (${signal ?? code}); stopping everything.`)
    void stop(1)
  })
  children.push(child)
}

async function waitUntilReady(instance: Instance, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const status = await fetch(instance.readyUrl, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.status,
      () => 0,
    )
    if (status === 200) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`${instance.name} did not answer at ${instance.readyUrl} within 30 s`)
}

try {
  const deadline = Date.now() + 30_000
  await Promise.all(instances.map((instance) => waitUntilReady(instance, deadline)))
} catch (error) {
  console.error(String(error))
  await stop(1)
}

if (!stopping) {
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
