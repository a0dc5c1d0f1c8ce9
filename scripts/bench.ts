/**
 * `npm run bench`: throughput and latency of the token path and of the MCP endpoint, each next to a
 * baseline of the same server and next to peers measured in the same run (docs/benchmarks.md).
 * Starts the IdP, the authorization server, the Tasks API and the MCP server as their own processes
 * on ports BENCH_BASE_PORT+1 … +4 (default 5501-5504; +0 is only the client URL in the IdP's redirect
 * URI), more of ours and the peers above them, signs alice in over HTTP, loads each operation for
 * BENCH_SECONDS at BENCH_CONCURRENCY after a warm-up, prints a table, and stops every process (also on
 * an error or Ctrl-C). Exits 1 if any request failed. Figures are printed, never asserted. Where
 * redis-server is installed, the redemption is measured again against one and two AS instances on one
 * Redis (base+20, +21), with the Redis round trip's share.
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os'
import { performance } from 'node:perf_hooks'
import { runSlice, summarize, type LoadResult, type Operation, type Slice } from './bench/load.ts'
import { callTool, closeSession, headers, openSession, ping, type McpSession } from './bench/mcp.ts'
import { RedisProbe } from './bench/redis-round-trip.ts'
import {
  appFolder,
  basicAuthorization as basic,
  clientSecretBasic,
  demoWorldEnv,
  describeTokenResponse,
  demoWorldRoles,
  ensureDeploymentKeys,
  hasRedisServer,
  startRedisServer,
  type RunningRedisServer,
  demoWorldUrls,
  PortInUseError,
  protectedResourceMetadataUrl,
  signInAtIdp,
  startRoles,
  type RunningRole,
} from '@ema/demo-kit'

// ---- settings ---------------------------------------------------------------------------------

/** A number from the environment, or the default; anything outside [min, max] stops the run. */
function setting(name: string, fallback: number, min: number, max: number, integer: boolean): number {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    console.error(`${name}=${raw}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`)
    process.exit(2)
  }
  return value
}

// At most 20 s: the redemption pool is minted (about 2 × (warm-up + SECONDS) at the exchange rate)
// before the token group's seven rows run (7 × (warm-up + SECONDS)), and its last ID-JAG must still be
// alive (300 s): at 20 s that is at most about 190 s after its first one was minted.
const SECONDS = setting('BENCH_SECONDS', 5, 0.5, 20, false)
const CONCURRENCY = setting('BENCH_CONCURRENCY', 8, 1, 256, true)
const WARMUP_SECONDS = setting('BENCH_WARMUP_SECONDS', 1, 0, 10, false)
const BASE_PORT = setting('BENCH_BASE_PORT', 5500, 1024, 65520, true)
/** Pool of pre-minted ID-JAGs = this × the measured exchange rate × (warm-up + timed seconds). */
const POOL_FACTOR = 2

const urls = demoWorldUrls(BASE_PORT)
const PRM_URL = protectedResourceMetadataUrl(urls.rs)
const SCOPE = 'tasks.read tasks.write'
/** Demo world (docs/demo-world.md): the client at the IdP and at the AS, and the user. */
const IDP_CLIENT = { id: 'acme-agent', secret: 'acme-agent-idp-secret' }
const AS_CLIENT = { id: 'acme-agent-tasks', secret: 'acme-agent-as-secret' }
const USER = { username: 'alice', password: 'alice-password', localSub: 'acme|u-1001' }

// Both servers' per-client token endpoint limit (600/min by default) would refuse most of the load.
const env = demoWorldEnv(process.env, urls, { TOKEN_RATE_LIMIT_PER_MINUTE: '0' })

/**
 * Servers on one core, the load generator (this process) on another, where taskset exists and the
 * machine has two cores: otherwise the load generator's own work would weigh on every row.
 * BENCH_SERVER_CPUS and BENCH_LOAD_CPUS (taskset lists, default "0" and "1") choose them.
 */
const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((path) => existsSync(path))
const PINNED = TASKSET !== undefined && availableParallelism() >= 2 && process.env.BENCH_PIN !== 'false'
const SERVER_CPUS = process.env.BENCH_SERVER_CPUS ?? '0'
const LOAD_CPUS = process.env.BENCH_LOAD_CPUS ?? '1'
if (PINNED) execFileSync(TASKSET!, ['-cp', LOAD_CPUS, String(process.pid)], { stdio: 'ignore' })
const serverCpus = PINNED ? { cpus: SERVER_CPUS } : {}

/** The IdP ("idp"), the AS ("as") and the MCP server ("mcp"), each on the port of its own URL. */
const ROLES = demoWorldRoles(urls).map((role) => ({ ...role, ...serverCpus }))

/**
 * Peers measured in the same run (scripts/bench/peers): what the same libraries do with less in
 * front of them. Each is its own process on base+10 … base+13, pinned like our roles.
 */
const PEERS_FOLDER = fileURLToPath(new URL('./bench/peers/', import.meta.url))
const peerUrl = (offset: number) => `http://localhost:${BASE_PORT + offset}`
const PEER = {
  jwtBearer: { url: peerUrl(10), clientId: 'bench-peer', secret: 'bench-peer-secret' },
  clientCredentials: { url: peerUrl(11), clientId: 'bench-peer', secret: 'bench-peer-secret' },
  mcp: { url: `${peerUrl(12)}/mcp` },
  mcpBearer: { url: `${peerUrl(13)}/mcp` },
  mcpDownstream: { url: `${peerUrl(14)}/mcp`, port: BASE_PORT + 14 },
} as const
/** The MCP server's on-behalf-of client at the AS (docs/demo-world.md): the benchmark exchanges once with it for the downstream peer. */
const MCP_SERVER_CLIENT = { id: 'tasks-mcp-server', secret: 'tasks-mcp-server-secret' }
/**
 * A second MCP server with the on-behalf-of cache off (TOKEN_EXCHANGE_CACHE_ENTRIES=0): every tool
 * call exchanges at the AS. Beside the first (cache warm), it shows what the second hop costs.
 */
const MCP_COLD = { url: `http://localhost:${BASE_PORT + 5}/mcp`, port: BASE_PORT + 5 }
const MCP_COLD_SPEC = {
  spec: {
    name: 'mcp-cold',
    cwd: appFolder('resource-server'),
    port: MCP_COLD.port,
    readyUrl: `http://localhost:${MCP_COLD.port}/.well-known/oauth-protected-resource/mcp`,
    ...serverCpus,
  },
  env: {
    RS_PORT: String(MCP_COLD.port),
    RS_ALLOWED_HOSTS: `localhost:${MCP_COLD.port}`,
    TOKEN_EXCHANGE_CACHE_ENTRIES: '0',
  },
}

/**
 * Two more authorization servers with REDIS_URL on one redis-server started here (decision 0040),
 * with the demo issuer and one set of signing keys (AS_SIGNING_KEYS) between them, on base+20 and
 * +21: the redemption with its replay check on Redis, on one instance and alternately on both, beside
 * the in-memory AS. Skipped where redis-server is not installed.
 */
const AS_REDIS = [BASE_PORT + 20, BASE_PORT + 21].map((port, i) => ({
  name: `as-redis-${i + 1}`,
  port,
  tokenUrl: `http://localhost:${port}/token`,
}))
let redis: RunningRedisServer | undefined

/**
 * Decision 0080: an IdP with REDIS_URL on base+22, on a redis-server of its own (so that its commands
 * are counted apart): before every exchange it reads the policy's revision (one HGET), and it appends
 * each decision to the shared audit trail (one XADD, not awaited by the exchange).
 */
const IDP_REDIS = {
  name: 'idp-redis',
  port: BASE_PORT + 22,
  url: `http://localhost:${BASE_PORT + 22}`,
  keyPrefix: 'ema-bench:idp',
}
let idpRedis: RunningRedisServer | undefined

/**
 * Decision 0060: MCP servers with TOKEN_INTROSPECTION=on, the RFC 7662 call to the AS after the local
 * checks: one with the default 10 s cache of a positive answer (per token), one asking on every request
 * (TOKEN_INTROSPECTION_CACHE_SECONDS=0), the cost of a revocation window of zero.
 */
const introspectingMcp = (name: string, offset: number, cacheSeconds: string) => {
  const port = BASE_PORT + offset
  return {
    url: `http://localhost:${port}/mcp`,
    spec: {
      spec: {
        name,
        cwd: appFolder('resource-server'),
        port,
        readyUrl: `http://localhost:${port}/.well-known/oauth-protected-resource/mcp`,
        ...serverCpus,
      },
      env: {
        RS_PORT: String(port),
        RS_ALLOWED_HOSTS: `localhost:${port}`,
        TOKEN_INTROSPECTION: 'on',
        TOKEN_INTROSPECTION_CACHE_SECONDS: cacheSeconds,
      },
    },
  }
}
/**
 * A second IdP with LOG_LEVEL=info on base+8 (its own issuer, alice signs in there too): its token
 * exchange writes the "issued ID-JAG" decision line per request (server-kit's batched stdout writer),
 * beside the IdP at warn, which writes none. The A/B of what logging at the default level costs.
 */
const IDP_INFO = { url: `http://localhost:${BASE_PORT + 8}`, port: BASE_PORT + 8 }
const IDP_INFO_SPEC = {
  spec: {
    name: 'idp-info',
    cwd: appFolder('idp'),
    port: IDP_INFO.port,
    readyUrl: `${IDP_INFO.url}/.well-known/openid-configuration`,
    ...serverCpus,
  },
  env: { IDP_ISSUER: IDP_INFO.url, LOG_LEVEL: 'info' },
}
/**
 * Decision 0100: an MCP server on base+9 with ACCESS_TOKEN_CACHE_ENTRIES=0, verifying the access token
 * in full (ECDSA and all) on every request, beside the first, which remembers the tokens it verified.
 */
const MCP_VERIFY_EVERY = { url: `http://localhost:${BASE_PORT + 9}/mcp`, port: BASE_PORT + 9 }
const MCP_VERIFY_EVERY_SPEC = {
  spec: {
    name: 'mcp-verify-every',
    cwd: appFolder('resource-server'),
    port: MCP_VERIFY_EVERY.port,
    readyUrl: `http://localhost:${MCP_VERIFY_EVERY.port}/.well-known/oauth-protected-resource/mcp`,
    ...serverCpus,
  },
  env: {
    RS_PORT: String(MCP_VERIFY_EVERY.port),
    RS_ALLOWED_HOSTS: `localhost:${MCP_VERIFY_EVERY.port}`,
    ACCESS_TOKEN_CACHE_ENTRIES: '0',
  },
}
const MCP_INTROSPECT = introspectingMcp('mcp-introspect', 6, '10')
const MCP_INTROSPECT_EVERY = introspectingMcp('mcp-introspect-every', 7, '0')
/** Our own MCP servers besides the first: started with the demo world's env, not the peers'. */
const OUR_EXTRA_SPECS = [
  MCP_COLD_SPEC,
  MCP_INTROSPECT.spec,
  MCP_INTROSPECT_EVERY.spec,
  IDP_INFO_SPEC,
  MCP_VERIFY_EVERY_SPEC,
]

const PEER_SPECS = [
  {
    spec: {
      name: 'peer-jwt-bearer',
      cwd: PEERS_FOLDER,
      entry: 'bare-jwt-bearer.ts',
      port: BASE_PORT + 10,
      readyUrl: `${PEER.jwtBearer.url}/.well-known/openid-configuration`,
      ...serverCpus,
    },
    env: {
      PEER_PORT: String(BASE_PORT + 10),
      PEER_ISSUER: PEER.jwtBearer.url,
      IDP_ISSUER: urls.idp,
      IDP_JWKS_URI: `${urls.idp}/jwks`,
      ID_JAG_AUDIENCE: urls.as,
      PEER_CLIENT_ID: PEER.jwtBearer.clientId,
      PEER_CLIENT_SECRET: PEER.jwtBearer.secret,
    },
  },
  {
    spec: {
      name: 'peer-client-credentials',
      cwd: PEERS_FOLDER,
      entry: 'client-credentials.ts',
      port: BASE_PORT + 11,
      readyUrl: `${PEER.clientCredentials.url}/.well-known/openid-configuration`,
      ...serverCpus,
    },
    env: {
      PEER_PORT: String(BASE_PORT + 11),
      PEER_ISSUER: PEER.clientCredentials.url,
      PEER_RESOURCE: urls.rs,
      PEER_CLIENT_ID: PEER.clientCredentials.clientId,
      PEER_CLIENT_SECRET: PEER.clientCredentials.secret,
    },
  },
  {
    spec: {
      name: 'peer-mcp',
      cwd: PEERS_FOLDER,
      entry: 'mcp-sdk-server.ts',
      port: BASE_PORT + 12,
      readyUrl: `${peerUrl(12)}/ready`,
      ...serverCpus,
    },
    env: { PEER_PORT: String(BASE_PORT + 12), PEER_BEARER: 'false' },
  },
  {
    spec: {
      name: 'peer-mcp-bearer',
      cwd: PEERS_FOLDER,
      entry: 'mcp-sdk-server.ts',
      port: BASE_PORT + 13,
      readyUrl: `${peerUrl(13)}/ready`,
      ...serverCpus,
    },
    env: {
      PEER_PORT: String(BASE_PORT + 13),
      PEER_BEARER: 'true',
      AS_ISSUER: urls.as,
      AS_JWKS_URI: `${urls.as}/jwks`,
      PEER_RESOURCE: urls.rs,
    },
  },
]
/** What a role's error message shows of its output: the last 64 KiB. */
const OUTPUT_TAIL = 64 * 1024

// ---- the roles' lifetime ----------------------------------------------------------------------

const running: RunningRole[] = []
let stopping = false
/** A role that exited while the benchmark was running; checked after every row. */
let died: RunningRole | undefined

async function stopAll(): Promise<void> {
  stopping = true
  await Promise.all(running.map((role) => role.stop()))
  await redis?.stop()
  await idpRedis?.stop()
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    console.error(`\n${signal}: stopping the roles`)
    void stopAll().finally(() => process.exit(130))
  })
}
// The last resort (an uncaught error, process.exit elsewhere): no role outlives the benchmark.
process.on('exit', () => {
  for (const role of running) if (!role.hasExited()) role.child.kill('SIGKILL')
})

/** Keeps a started role for `stopAll`, and notes it if it exits while the benchmark runs. */
function watch(role: RunningRole): void {
  running.push(role)
  role.child.once('exit', () => {
    if (stopping || role.stopRequested()) return
    died ??= role
    console.error(`\n${role.spec.name} exited (${role.child.exitCode ?? role.child.signalCode})`)
  })
}

function assertAllAlive(): void {
  if (died !== undefined)
    throw new Error(
      `${died.spec.name} exited (${died.child.exitCode ?? died.child.signalCode}) during the run:\n${died.output()}`,
    )
}

// ---- the requests -----------------------------------------------------------------------------

async function getOk(url: string): Promise<void> {
  const response = await fetch(url)
  await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status}`)
}

async function postForm(
  url: string,
  authorization: string,
  form: Record<string, string>,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: new URLSearchParams(form),
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

/** RFC 8693 at the IdP: ID token → ID-JAG. */
async function exchange(idToken: string, tokenUrl = `${urls.idp}/token`): Promise<string> {
  const { status, json } = await postForm(tokenUrl, basic(IDP_CLIENT.id, IDP_CLIENT.secret), {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
    audience: urls.as,
    resource: urls.rs,
    scope: SCOPE,
    subject_token: idToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
  })
  if (
    status !== 200 ||
    typeof json['access_token'] !== 'string' ||
    json['issued_token_type'] !== 'urn:ietf:params:oauth:token-type:id-jag'
  ) {
    throw new Error(`token exchange: ${describeTokenResponse(status, json)}`)
  }
  return json['access_token']
}

/** RFC 7523 at the AS: ID-JAG → access token. */
async function redeem(idJag: string, tokenUrl = `${urls.as}/token`): Promise<string> {
  const { status, json } = await postForm(tokenUrl, basic(AS_CLIENT.id, AS_CLIENT.secret), {
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    assertion: idJag,
    resource: urls.rs,
    scope: SCOPE,
  })
  if (status !== 200 || typeof json['access_token'] !== 'string' || json['token_type'] !== 'Bearer') {
    throw new Error(`jwt-bearer: ${describeTokenResponse(status, json)}`)
  }
  return json['access_token']
}

/**
 * RFC 8693 on-behalf-of at the AS, as the MCP server does it (OBO-03 … OBO-06): the access token →
 * a token for the Tasks API with `tasks.read`. Done once, for the downstream peer to hold.
 */
async function exchangeForTasksApi(accessToken: string): Promise<string> {
  const { status, json } = await postForm(`${urls.as}/token`, basic(MCP_SERVER_CLIENT.id, MCP_SERVER_CLIENT.secret), {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: accessToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    audience: urls.tasksApi,
    scope: 'tasks.read',
  })
  if (status !== 200 || typeof json['access_token'] !== 'string')
    throw new Error(`on-behalf-of exchange: ${describeTokenResponse(status, json)}`)
  return json['access_token']
}

/** The bare jwt-bearer peer: the same ID-JAG may be sent again (it keeps no replay store). */
async function redeemAtPeer(idJag: string): Promise<void> {
  const { status, json } = await postForm(
    `${PEER.jwtBearer.url}/token`,
    basic(PEER.jwtBearer.clientId, PEER.jwtBearer.secret),
    {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: idJag,
      resource: urls.rs,
      scope: SCOPE,
    },
  )
  if (status !== 200 || typeof json['access_token'] !== 'string')
    throw new Error(`peer jwt-bearer: ${describeTokenResponse(status, json)}`)
}

/** oidc-provider's client_credentials grant with a JWT access token. */
async function clientCredentialsAtPeer(): Promise<void> {
  const { status, json } = await postForm(
    `${PEER.clientCredentials.url}/token`,
    basic(PEER.clientCredentials.clientId, PEER.clientCredentials.secret),
    {
      grant_type: 'client_credentials',
      resource: urls.rs,
      scope: SCOPE,
    },
  )
  if (status !== 200 || typeof json['access_token'] !== 'string')
    throw new Error(`peer client_credentials: ${describeTokenResponse(status, json)}`)
}

/** alice signs in at an IdP of the demo world (authorization code + PKCE, acme-agent): her ID token. */
function signInAlice(idp: string): ReturnType<typeof signInAtIdp> {
  return signInAtIdp({
    idp,
    redirectUri: `${urls.client}/callback`,
    clientId: IDP_CLIENT.id,
    clientAuth: clientSecretBasic(IDP_CLIENT.id, IDP_CLIENT.secret),
    username: USER.username,
    password: USER.password,
  })
}

/** whoami must answer for alice, as the AS names her. */
async function whoami(accessToken: string, session: McpSession, endpoint = urls.rs): Promise<void> {
  const who = await callTool(endpoint, accessToken, session, 'whoami')
  if (who['subject'] !== USER.localSub)
    throw new Error(`whoami: subject ${JSON.stringify(who['subject'])}, expected ${USER.localSub}`)
}

/** The same tools/call with no token: a 401 with a Bearer challenge, before any JSON is parsed. */
async function refused(): Promise<void> {
  const response = await fetch(urls.rs, {
    method: 'POST',
    headers: headers(undefined),
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
  })
  await response.arrayBuffer()
  if (response.status !== 401 || response.headers.get('www-authenticate')?.startsWith('Bearer') !== true) {
    throw new Error(`no token: ${response.status}, expected 401 with a Bearer challenge`)
  }
}

// ---- rows and the report ----------------------------------------------------------------------

/** One row to measure: an operation, the roles that serve it, and its baseline if it has one. */
interface RowSpec {
  name: string
  /** The roles whose CPU is shown (the process that answers; both for the chain). */
  serving: readonly string[]
  operation: Operation
  /** The baseline row's name; the ratio is this row's requests/s over that one's. */
  baseline?: string
  isBaseline?: boolean
  /** See runSlice: false stops this row's workers (its token pool ran out). */
  hasWork?: () => boolean
  /** Requests in flight for this row; default BENCH_CONCURRENCY (1 measures latency without queueing). */
  concurrency?: number
}

interface Row extends RowSpec {
  result: LoadResult
  /** CPU seconds the serving process(es) used during the timed part, one per process; undefined off Linux. */
  serverCpuSeconds: (number | undefined)[]
  /** CPU seconds every role used during the timed part, by role name (to show who else worked). */
  cpuByRole: Map<string, number | undefined>
  /** CPU seconds this process (the load generator) used during the timed part. */
  benchCpuSeconds: number
}

const rows: Row[] = []
const warmupErrors: string[] = []

/** The timed part of each row is run as this many slices, the rows of a group taking turns. */
const ROUNDS = Math.max(1, Math.round(SECONDS))

/**
 * Measures a group of rows that share a server: each gets a warm-up, then its SECONDS of load in
 * ROUNDS slices, the rows taking turns (baseline, operation, operation, baseline, …). Whatever else
 * the machine does then weighs on a row and on its baseline alike, so their ratio stays meaningful
 * on a shared machine where two back-to-back runs of SECONDS each would not be.
 */
async function measureGroup(specs: readonly RowSpec[]): Promise<void> {
  for (const spec of specs) {
    if (WARMUP_SECONDS <= 0) continue
    // Not timed, but not ignored: a wrong answer while warming up fails the run too.
    const warm = await runSlice(spec.operation, WARMUP_SECONDS, spec.concurrency ?? CONCURRENCY, spec.hasWork)
    if (warm.errors > 0)
      warmupErrors.push(`"${spec.name}" during the warm-up: ${warm.errors}, the first: ${warm.firstError ?? '?'}`)
  }
  const slices = specs.map((): Slice[] => [])
  const cpu = specs.map(() => new Map<string, number | undefined>(running.map((role) => [role.spec.name, 0])))
  const benchCpu = specs.map(() => 0)
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, spec] of specs.entries()) {
      const before = new Map(running.map((role) => [role.spec.name, role.cpuSeconds()]))
      const benchBefore = process.cpuUsage()
      slices[i]!.push(await runSlice(spec.operation, SECONDS / ROUNDS, spec.concurrency ?? CONCURRENCY, spec.hasWork))
      const used = process.cpuUsage(benchBefore)
      benchCpu[i]! += (used.user + used.system) / 1e6
      for (const role of running) {
        const start = before.get(role.spec.name)
        const end = role.cpuSeconds()
        const sum = cpu[i]!.get(role.spec.name)
        cpu[i]!.set(
          role.spec.name,
          start === undefined || end === undefined || sum === undefined ? undefined : sum + end - start,
        )
      }
      assertAllAlive()
    }
  }
  for (const [i, spec] of specs.entries()) {
    const result = summarize(slices[i]!)
    const cpuByRole = cpu[i]!
    rows.push({
      ...spec,
      result,
      cpuByRole,
      serverCpuSeconds: spec.serving.map((role) => cpuByRole.get(role)),
      benchCpuSeconds: benchCpu[i]!,
    })
    console.log(`  ${spec.name}: ${Math.round(result.perSecond)} req/s, ${result.errors} errors`)
  }
}

function ms(value: number): string {
  if (Number.isNaN(value)) return '—'
  return value < 10 ? value.toFixed(2) : value.toFixed(1)
}

function ratio(row: Row): string {
  if (row.isBaseline === true) return 'baseline'
  const base = rows.find((candidate) => candidate.name === row.baseline)
  if (base === undefined || base.result.perSecond === 0) return '—'
  return `${(row.result.perSecond / base.result.perSecond).toFixed(2)}×`
}

/** CPU use over the timed part as a percentage of one core, per process joined by "+". */
function cpuPercent(seconds: readonly (number | undefined)[], wallSeconds: number): string {
  return seconds.map((value) => (value === undefined ? '—' : String(Math.round((value / wallSeconds) * 100)))).join('+')
}

/** Server CPU milliseconds per answered request (all serving processes together). */
function cpuPerRequest(row: Row): string {
  if (row.serverCpuSeconds.some((value) => value === undefined) || row.result.ok === 0) return '—'
  const total = row.serverCpuSeconds.reduce<number>((sum, value) => sum + (value ?? 0), 0)
  return ms((total * 1000) / row.result.ok)
}

function printTable(): void {
  const header = [
    'operation',
    'server',
    'req/s',
    'vs base',
    'p50 ms',
    'p90 ms',
    'p99 ms',
    'max ms',
    'ok',
    'errors',
    'srv CPU%',
    'srv CPU ms/req',
    'bench CPU%',
  ]
  const lines = rows.map((row) => [
    row.name,
    row.serving.join('→'),
    row.result.perSecond.toFixed(row.result.perSecond < 100 ? 1 : 0),
    ratio(row),
    ms(row.result.p50),
    ms(row.result.p90),
    ms(row.result.p99),
    ms(row.result.max),
    String(row.result.ok),
    String(row.result.errors),
    cpuPercent(row.serverCpuSeconds, row.result.elapsedSeconds),
    cpuPerRequest(row),
    cpuPercent([row.benchCpuSeconds], row.result.elapsedSeconds),
  ])
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)))
  const format = (cells: string[]) =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')
  console.log(format(header))
  console.log(widths.map((width) => '-'.repeat(width)).join('  '))
  for (const line of lines) console.log(format(line))
}

/**
 * A yardstick for reading the table: how long one ES256 signature and one verification take with
 * node:crypto in this process (one core, synchronously, on a token-sized input). The servers sign
 * and verify through jose, which adds its own work around the same operations.
 */
function es256Yardstick(seconds: number): { signMs: number; verifyMs: number } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const input = Buffer.from(randomBytes(450).toString('base64url'))
  const signature = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' })
  const time = (operation: () => void): number => {
    let count = 0
    const start = performance.now()
    const end = start + seconds * 1000
    while (performance.now() < end) {
      operation()
      count++
    }
    return (performance.now() - start) / count
  }
  return {
    signMs: time(() => sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
    verifyMs: time(() => {
      if (!verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature))
        throw new Error('ES256 yardstick: verification failed')
    }),
  }
}

const EXCHANGE = 'token exchange → ID-JAG'
const REDEEM = 'jwt-bearer: ID-JAG → access token'
const WHOAMI = 'MCP tools/call whoami (Bearer)'
const WHOAMI_ONE = 'MCP whoami, 1 at a time'
const WHOAMI_COLD = 'MCP whoami, on-behalf-of cache off'
const WHOAMI_INTROSPECT = 'MCP whoami, introspection on (10 s)'
const WHOAMI_INTROSPECT_EVERY = 'MCP whoami, introspection every call'
const PEER_JWT_BEARER = 'peer: bare oidc-provider jwt-bearer'
const PEER_CLIENT_CREDENTIALS = 'peer: oidc-provider client_credentials'
const PEER_MCP_BEARER = 'peer: MCP SDK server, bearer auth'
const PEER_MCP = 'peer: MCP SDK server, no auth'
const PEER_MCP_DOWNSTREAM = 'peer: SDK server + Tasks API call, no auth'
const PING = 'MCP ping (Bearer)'
const PING_VERIFY_EVERY = 'MCP ping, token verified in full'
const PEER_MCP_PING = 'peer: MCP SDK server ping, no auth'
const PEER_MCP_BEARER_PING = 'peer: MCP SDK server ping, bearer'
const EXCHANGE_INFO = 'token exchange, LOG_LEVEL=info'
const CHAIN_TO_TOOL = 'chain: ID token → tool result, 1 at a time'
const REDEEM_REDIS = 'jwt-bearer, replay store on Redis'
const REDEEM_REDIS_TWO = 'jwt-bearer, Redis, 2 AS alternately'
const EXCHANGE_REDIS = 'token exchange, policy on Redis'

/**
 * Our rows next to the peers of the same run; `goal` is issue 11's target ratio, where it sets one.
 * The MCP goal (≥ 0.9× the SDK server without auth) is judged against peers doing the same work
 * (decision 0070): `whoami` beside the SDK server whose tool makes the same Tasks API call, and `ping`
 * (no tool, no downstream) beside the SDK server's `ping`. The peers whose tool answers from memory stay,
 * as `note`d comparisons of unlike work.
 */
const COMPARISONS: Array<{ ours: string; peer: string; goal?: number; note?: string }> = [
  { ours: REDEEM, peer: PEER_JWT_BEARER, goal: 1.0 },
  { ours: REDEEM, peer: PEER_CLIENT_CREDENTIALS },
  { ours: EXCHANGE, peer: PEER_JWT_BEARER, goal: 0.9 },
  { ours: EXCHANGE, peer: PEER_CLIENT_CREDENTIALS },
  { ours: WHOAMI, peer: PEER_MCP_DOWNSTREAM, goal: 0.9 },
  { ours: PING, peer: PEER_MCP_PING, goal: 0.9 },
  { ours: PING, peer: PEER_MCP_BEARER_PING },
  { ours: WHOAMI, peer: PEER_MCP, note: 'unlike work: the peer makes no downstream call' },
  { ours: WHOAMI, peer: PEER_MCP_BEARER, note: 'unlike work: the peer makes no downstream call' },
]

/** What the Redis round trip is of a redemption: the bare round trip, the commands, the rows' difference. */
function printRedisShare(trip: { setNxMs: number; pingMs: number } | undefined, commandsPerRedemption: number): void {
  const memory = rows.find((row) => row.name === REDEEM)
  const one = rows.find((row) => row.name === REDEEM_REDIS)
  const two = rows.find((row) => row.name === REDEEM_REDIS_TWO)
  if (trip === undefined || memory === undefined || one === undefined || two === undefined) {
    console.log('the Redis rows were skipped: redis-server is not installed (Debian package redis-server).')
    return
  }
  const share = (trip.setNxMs * commandsPerRedemption) / one.result.p50
  console.log(
    `the Redis replay store: ${commandsPerRedemption.toFixed(2)} Redis commands per redemption; a SET NX round trip p50 ${ms(trip.setNxMs)} ms (PING ${ms(trip.pingMs)} ms), ` +
      `${(share * 100).toFixed(1)}% of a redemption's p50 on one Redis-backed AS (${ms(one.result.p50)} ms; in memory ${ms(memory.result.p50)} ms, ` +
      `difference ${ms(one.result.p50 - memory.result.p50)} ms); srv CPU ms/req in memory ${cpuPerRequest(memory)}, on Redis ${cpuPerRequest(one)}; ` +
      `two instances on one Redis: ${Math.round(two.result.perSecond)} req/s (${(two.result.perSecond / (one.result.perSecond || 1)).toFixed(2)}× one instance, on the same server core).`,
  )
}

/** What the policy's check on Redis (decision 0080) adds to a token exchange: the commands, the HGET round trip, the rows' difference. */
function printPolicyCheckCost(hgetMs: number | undefined, commandsPerExchange: number): void {
  const memory = rows.find((row) => row.name === EXCHANGE)
  const onRedis = rows.find((row) => row.name === EXCHANGE_REDIS)
  if (hgetMs === undefined || memory === undefined || onRedis === undefined) return
  console.log(
    `the policy on Redis: ${commandsPerExchange.toFixed(2)} Redis commands per exchange (the HGET of the policy's revision, awaited; the audit trail's XADD, not awaited); ` +
      `an HGET round trip p50 ${ms(hgetMs)} ms, ${((hgetMs / onRedis.result.p50) * 100).toFixed(1)}% of an exchange's p50 on the Redis-backed IdP ` +
      `(${ms(onRedis.result.p50)} ms; in memory ${ms(memory.result.p50)} ms, difference ${ms(onRedis.result.p50 - memory.result.p50)} ms); ` +
      `srv CPU ms/req in memory ${cpuPerRequest(memory)}, on Redis ${cpuPerRequest(onRedis)}.`,
  )
}

/** What the second hop (RFC 8693 on-behalf-of exchange at the AS) adds to a tool call. */
function printHopCost(): void {
  const warm = rows.find((row) => row.name === WHOAMI)?.result
  const cold = rows.find((row) => row.name === WHOAMI_COLD)?.result
  if (warm === undefined || cold === undefined) return
  console.log(
    `the on-behalf-of hop: a tool call with the exchange cache warm p50 ${ms(warm.p50)} ms, ${Math.round(warm.perSecond)} req/s; ` +
      `with an exchange on every call p50 ${ms(cold.p50)} ms, ${Math.round(cold.perSecond)} req/s (both call the Tasks API).`,
  )
}

/** What remembering verified access tokens (decision 0100) saves on a request: `ping` with and without. */
function printVerifiedTokenCacheShare(): void {
  const cached = rows.find((row) => row.name === PING)
  const every = rows.find((row) => row.name === PING_VERIFY_EVERY)
  if (cached === undefined || every === undefined) return
  console.log(
    `remembered access tokens (decision 0100): ping ${Math.round(cached.result.perSecond)} req/s, p50 ${ms(cached.result.p50)} ms, ${cpuPerRequest(cached)} ms CPU/req; ` +
      `with the token verified in full on every request ${Math.round(every.result.perSecond)} req/s, p50 ${ms(every.result.p50)} ms, ${cpuPerRequest(every)} ms CPU/req ` +
      `(${(cached.result.perSecond / (every.result.perSecond || 1)).toFixed(2)}×).`,
  )
}

/** What TOKEN_INTROSPECTION=on (decision 0060) adds to a tool call, beside the row without it. */
function printIntrospectionCost(): void {
  const off = rows.find((row) => row.name === WHOAMI)?.result
  if (off === undefined) return
  for (const name of [WHOAMI_INTROSPECT, WHOAMI_INTROSPECT_EVERY]) {
    const on = rows.find((row) => row.name === name)?.result
    if (on === undefined) continue
    console.log(
      `${name}: p50 ${ms(on.p50)} ms, ${Math.round(on.perSecond)} req/s, against introspection off p50 ${ms(off.p50)} ms, ` +
        `${Math.round(off.perSecond)} req/s (${(on.perSecond / off.perSecond).toFixed(2)}×).`,
    )
  }
}

function printComparisons(): void {
  console.log('ratios to the peers (req/s of ours over req/s of the peer, same run, interleaved):')
  for (const { ours, peer, goal, note } of COMPARISONS) {
    const a = rows.find((row) => row.name === ours)?.result.perSecond
    const b = rows.find((row) => row.name === peer)?.result.perSecond
    if (a === undefined || b === undefined || b === 0) continue
    const value = a / b
    const verdict =
      goal === undefined
        ? note === undefined
          ? ''
          : `  (${note})`
        : `  (goal ≥ ${goal.toFixed(2)}×: ${value >= goal ? 'met' : 'NOT met'})`
    console.log(`  ${ours.padEnd(36)} / ${peer.padEnd(40)} ${value.toFixed(2)}×${verdict}`)
  }
}

/**
 * What our MCP server adds, per tool call, in CPU: each serving process's CPU time per answered call,
 * ours beside the downstream peer's (both call the same Tasks API), and the two `ping` rows.
 */
function printMcpCpuShare(): void {
  const perCall = (rowName: string, role: string): string => {
    const row = rows.find((candidate) => candidate.name === rowName)
    const seconds = row?.cpuByRole.get(role)
    return row === undefined || seconds === undefined || row.result.ok === 0
      ? '—'
      : ms((seconds * 1000) / row.result.ok)
  }
  console.log(
    `CPU ms per call by process: whoami ours mcp ${perCall(WHOAMI, 'mcp')} + tasks-api ${perCall(WHOAMI, 'tasks-api')}, ` +
      `the downstream peer ${perCall(PEER_MCP_DOWNSTREAM, 'peer-mcp-downstream')} + tasks-api ${perCall(PEER_MCP_DOWNSTREAM, 'tasks-api')}; ` +
      `ping ours ${perCall(PING, 'mcp')}, peer no auth ${perCall(PEER_MCP_PING, 'peer-mcp')}, peer bearer ${perCall(PEER_MCP_BEARER_PING, 'peer-mcp-bearer')}.`,
  )
}

/** Issue 11: a held ID token to a tool result, p50 ≤ 10 ms, measured one chain at a time (no queueing). */
function printChainToTool(): void {
  const row = rows.find((candidate) => candidate.name === CHAIN_TO_TOOL)?.result
  if (row === undefined) return
  console.log(
    `the chain from a held ID token to a tool result (exchange at the IdP, jwt-bearer at the AS, initialize + notifications/initialized + tools/call whoami at the MCP server, one at a time): ` +
      `p50 ${ms(row.p50)} ms, p90 ${ms(row.p90)} ms (goal p50 ≤ 10 ms: ${row.p50 <= 10 ? 'met' : 'NOT met'}).`,
  )
}

/** What the decision lines at LOG_LEVEL=info cost the token exchange (server-kit's batched stdout writer). */
function printLoggingCost(): void {
  const warn = rows.find((row) => row.name === EXCHANGE)
  const info = rows.find((row) => row.name === EXCHANGE_INFO)
  if (warn === undefined || info === undefined) return
  console.log(
    `logging at the default level: the token exchange at LOG_LEVEL=info (one "issued ID-JAG" line a request) ${Math.round(info.result.perSecond)} req/s, ` +
      `${cpuPerRequest(info)} ms CPU/req; at warn (no line) ${Math.round(warn.result.perSecond)} req/s, ${cpuPerRequest(warn)} ms CPU/req (${(info.result.perSecond / (warn.result.perSecond || 1)).toFixed(2)}×).`,
  )
}

// ---- the run ----------------------------------------------------------------------------------

async function main(): Promise<number> {
  const cpu = cpus()
  console.log('MCP Enterprise-Managed Authorization: benchmark (npm run bench, docs/benchmarks.md)')
  console.log(`date         ${new Date().toISOString()}`)
  console.log(
    `node         ${process.version} (V8 ${process.versions.v8}), ${process.platform} ${release()} ${process.arch}`,
  )
  console.log(
    `cpu          ${cpu[0]?.model.trim() ?? 'unknown'} × ${cpu.length} (available parallelism ${availableParallelism()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  )
  console.log(
    `load average ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')} (1, 5, 15 min) at start`,
  )
  const es256 = es256Yardstick(0.5)
  console.log(
    `es256        node:crypto here, one core: sign ${es256.signMs.toFixed(3)} ms, verify ${es256.verifyMs.toFixed(3)} ms`,
  )
  console.log(
    `settings     ${SECONDS} s per row (${ROUNDS} slices, taking turns with the rows of the same server) after ${WARMUP_SECONDS} s warm-up, concurrency ${CONCURRENCY} (closed loop, keep-alive)`,
  )
  console.log(
    `roles        idp ${urls.idp}, as ${urls.as}, mcp ${urls.rs}; LOG_LEVEL=warn, TOKEN_RATE_LIMIT_PER_MINUTE=0`,
  )
  console.log(
    `redis        ${hasRedisServer() ? `a redis-server on a free port; ${AS_REDIS.map(({ name, port }) => `${name} :${port}`).join(', ')} (REDIS_URL, one AS_SIGNING_KEYS); another for ${IDP_REDIS.name} :${IDP_REDIS.port} (its policy and audit trail)` : 'none: redis-server is not installed, the Redis rows are skipped'}`,
  )
  console.log(
    `peers        ${PEER_SPECS.map(({ spec }) => `${spec.name} :${spec.port}`).join(', ')}, peer-mcp-downstream :${PEER.mcpDownstream.port} (once a Tasks API token is held)`,
  )
  console.log(
    `pinning      ${PINNED ? `servers on CPU ${SERVER_CPUS}, this load generator on CPU ${LOAD_CPUS} (taskset)` : 'none (no taskset, one core, or BENCH_PIN=false)'}`,
  )
  console.log('')

  await startRoles(ROLES, {
    env,
    outputLimit: OUTPUT_TAIL,
    started: watch,
  }).catch((error: unknown) => {
    // Otherwise another server on the port would answer the ready check while ours dies of EADDRINUSE.
    if (error instanceof PortInUseError)
      throw new Error(`${error.message}; set BENCH_BASE_PORT to move the benchmark's ports`)
    throw error
  })

  // Decision 0040: two more AS instances sharing one Redis and one set of signing keys.
  if (hasRedisServer()) {
    redis = await startRedisServer()
    const keysFolder = mkdtempSync(join(tmpdir(), 'ema-bench-keys-'))
    const { AS_SIGNING_KEYS } = ensureDeploymentKeys(join(keysFolder, 'keys.json')).env
    rmSync(keysFolder, { recursive: true, force: true })
    for (const { name, port } of AS_REDIS) {
      const spec = {
        name,
        cwd: appFolder('authorization-server'),
        port,
        readyUrl: `http://localhost:${port}/readyz`,
        ...serverCpus,
      }
      await startRoles([spec], {
        env: { ...env, REDIS_URL: redis.url, AS_SIGNING_KEYS, AS_PORT: String(port), LOG_LEVEL: 'error' },
        outputLimit: OUTPUT_TAIL,
        started: watch,
      })
    }
  }
  // Decision 0080: an IdP whose policy and audit trail are on a Redis of its own.
  if (hasRedisServer()) {
    idpRedis = await startRedisServer()
    await startRoles(
      [
        {
          name: IDP_REDIS.name,
          cwd: appFolder('idp'),
          port: IDP_REDIS.port,
          readyUrl: `${IDP_REDIS.url}/readyz`,
          ...serverCpus,
        },
      ],
      {
        env: {
          ...env,
          REDIS_URL: idpRedis.url,
          REDIS_KEY_PREFIX: IDP_REDIS.keyPrefix,
          IDP_ISSUER: IDP_REDIS.url,
          IDP_PORT: String(IDP_REDIS.port),
          LOG_LEVEL: 'error',
        },
        outputLimit: OUTPUT_TAIL,
        started: watch,
      },
    )
  }
  for (const { spec, env: peerEnv } of [...OUR_EXTRA_SPECS, ...PEER_SPECS]) {
    const ours = OUR_EXTRA_SPECS.some((extra) => extra.spec.name === spec.name)
    await startRoles([spec], {
      env: { ...(ours ? env : process.env), LOG_LEVEL: 'warn', ...peerEnv },
      outputLimit: OUTPUT_TAIL,
      started: watch,
    })
  }

  // One of each, unmeasured: fail fast with a clear message, and let the AS fetch the IdP's keys
  // and the MCP server the AS's keys (both cache them) before anything is timed.
  const { id_token: idToken } = await signInAlice(urls.idp)
  // alice at the second IdP (LOG_LEVEL=info), for the logging A/B row.
  const { id_token: idTokenInfo } = await signInAlice(IDP_INFO.url)
  await exchange(idTokenInfo, `${IDP_INFO.url}/token`)
  const firstToken = await redeem(await exchange(idToken))
  await whoami(firstToken, await openSession(urls.rs, firstToken))
  await refused()
  for (const { tokenUrl } of redis === undefined ? [] : AS_REDIS) await redeem(await exchange(idToken), tokenUrl)
  const idTokenAtRedisIdp =
    idpRedis === undefined
      ? undefined
      : (
          await signInAtIdp({
            idp: IDP_REDIS.url,
            redirectUri: `${urls.client}/callback`,
            clientId: IDP_CLIENT.id,
            clientAuth: clientSecretBasic(IDP_CLIENT.id, IDP_CLIENT.secret),
            username: USER.username,
            password: USER.password,
          })
        ).id_token
  if (idTokenAtRedisIdp !== undefined) await exchange(idTokenAtRedisIdp, `${IDP_REDIS.url}/token`)
  await redeemAtPeer(await exchange(idToken))
  await clientCredentialsAtPeer()
  console.log(`signed in as ${USER.username}; exchange, redemption, whoami and each peer answered once. Measuring:`)

  const BASE_A = 'A  GET openid-configuration'
  const BASE_B = 'B  GET oauth-authorization-server'
  const BASE_C = 'C  GET protected resource metadata'

  // The token endpoints, ours and the peers', in one group so that they all take turns. Every
  // redemption at our AS needs an ID-JAG nobody has redeemed (AS-23, single-use jti), so a pool is
  // minted first, outside the timed part, sized from a short unrecorded probe of the exchange rate.
  const probe = await runSlice(() => exchange(idToken).then(() => undefined), 1, CONCURRENCY)
  const exchangeRate = probe.latencies.length / probe.elapsedSeconds
  const poolSize = Math.min(200_000, Math.max(500, Math.ceil(exchangeRate * POOL_FACTOR * (WARMUP_SECONDS + SECONDS))))
  const pool: string[] = []
  const mintStart = performance.now()
  let claimed = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (claimed < poolSize) {
        claimed++
        pool.push(await exchange(idToken))
      }
    }),
  )
  // The Redis rows: the one-instance row reuses the in-memory row's pool (another replay store); the
  // two-instance row shares that Redis, so it gets a pool of its own.
  const poolTwo: string[] = []
  if (redis !== undefined) {
    claimed = 0
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (claimed < poolSize) {
          claimed++
          poolTwo.push(await exchange(idToken))
        }
      }),
    )
  }
  const mintSeconds = (performance.now() - mintStart) / 1000
  // The IdP at LOG_LEVEL=info gets as many exchanges, untimed, as the first IdP just served, so that
  // both run equally warm (JIT-optimised) code and the logging row compares logging, not warm-up.
  claimed = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (claimed < poolSize) {
        claimed++
        await exchange(idTokenInfo, `${IDP_INFO.url}/token`)
      }
    }),
  )
  let used = 0
  let usedOne = 0
  let usedTwo = 0
  const redisProbe = redis === undefined ? undefined : await RedisProbe.open(redis.port)
  const commandsBefore = (await redisProbe?.commandsProcessed()) ?? 0
  const idpRedisProbe = idpRedis === undefined ? undefined : await RedisProbe.open(idpRedis.port)
  const idpCommandsBefore = (await idpRedisProbe?.commandsProcessed()) ?? 0
  let exchangesOnRedis = 0
  // The bare peer keeps no replay store, so one ID-JAG serves its row.
  const peerIdJag = await exchange(idToken)
  console.log(
    `token endpoints (after minting ${pool.length + poolTwo.length} ID-JAGs for the redemption rows in ${mintSeconds.toFixed(1)} s):`,
  )
  await measureGroup([
    {
      name: BASE_A,
      serving: ['idp'],
      isBaseline: true,
      operation: () => getOk(`${urls.idp}/.well-known/openid-configuration`),
    },
    { name: EXCHANGE, serving: ['idp'], baseline: BASE_A, operation: () => exchange(idToken).then(() => undefined) },
    ...(idTokenAtRedisIdp === undefined
      ? []
      : [
          {
            name: EXCHANGE_REDIS,
            serving: [IDP_REDIS.name],
            baseline: EXCHANGE,
            operation: () => {
              exchangesOnRedis++
              return exchange(idTokenAtRedisIdp, `${IDP_REDIS.url}/token`).then(() => undefined)
            },
          },
        ]),
    {
      name: EXCHANGE_INFO,
      serving: ['idp-info'],
      baseline: EXCHANGE,
      operation: () => exchange(idTokenInfo, `${IDP_INFO.url}/token`).then(() => undefined),
    },
    {
      name: BASE_B,
      serving: ['as'],
      isBaseline: true,
      operation: () => getOk(`${urls.as}/.well-known/oauth-authorization-server`),
    },
    {
      name: REDEEM,
      serving: ['as'],
      baseline: BASE_B,
      operation: () => redeem(pool[used++]!).then(() => undefined),
      hasWork: () => used < pool.length,
    },
    ...(redis === undefined
      ? []
      : [
          {
            name: REDEEM_REDIS,
            serving: [AS_REDIS[0]!.name],
            baseline: REDEEM,
            operation: () => redeem(pool[usedOne++]!, AS_REDIS[0]!.tokenUrl).then(() => undefined),
            hasWork: () => usedOne < pool.length,
          },
          {
            name: REDEEM_REDIS_TWO,
            serving: AS_REDIS.map(({ name }) => name),
            baseline: REDEEM,
            operation: () => {
              const n = usedTwo++
              return redeem(poolTwo[n]!, AS_REDIS[n % 2]!.tokenUrl).then(() => undefined)
            },
            hasWork: () => usedTwo < poolTwo.length,
          },
        ]),
    { name: PEER_JWT_BEARER, serving: ['peer-jwt-bearer'], operation: () => redeemAtPeer(peerIdJag) },
    { name: PEER_CLIENT_CREDENTIALS, serving: ['peer-client-credentials'], operation: () => clientCredentialsAtPeer() },
    {
      name: 'chain: exchange, then redeem',
      serving: ['idp', 'as'],
      operation: () =>
        exchange(idToken)
          .then(redeem)
          .then(() => undefined),
    },
  ])

  const commandsPerRedemption =
    redisProbe === undefined
      ? Number.NaN
      : ((await redisProbe.commandsProcessed()) - commandsBefore - 1) / (usedOne + usedTwo)
  const redisTrip = await redisProbe?.roundTrips(0.5)
  redisProbe?.close()
  const commandsPerExchange =
    idpRedisProbe === undefined
      ? Number.NaN
      : ((await idpRedisProbe.commandsProcessed()) - idpCommandsBefore - 1) / exchangesOnRedis
  const hgetMs = await idpRedisProbe?.hgetRoundTrip(`${IDP_REDIS.keyPrefix}:policy:default`, 0.5)
  idpRedisProbe?.close()

  // The MCP server: one session per worker, all with one fresh access token (it lives 600 s).
  const accessToken = await redeem(await exchange(idToken))
  const sessions = await Promise.all(Array.from({ length: CONCURRENCY }, () => openSession(urls.rs, accessToken)))
  const coldSessions = await Promise.all(
    Array.from({ length: CONCURRENCY }, () => openSession(MCP_COLD.url, accessToken)),
  )
  const introspectSessions = await Promise.all(
    Array.from({ length: CONCURRENCY }, () => openSession(MCP_INTROSPECT.url, accessToken)),
  )
  const introspectEverySessions = await Promise.all(
    Array.from({ length: CONCURRENCY }, () => openSession(MCP_INTROSPECT_EVERY.url, accessToken)),
  )
  const verifyEverySessions = await Promise.all(
    Array.from({ length: CONCURRENCY }, () => openSession(MCP_VERIFY_EVERY.url, accessToken)),
  )
  const peerSessions = await Promise.all(
    Array.from({ length: CONCURRENCY }, () => openSession(PEER.mcp.url, accessToken)),
  )
  const peerBearerSessions = await Promise.all(
    Array.from({ length: CONCURRENCY }, () => openSession(PEER.mcpBearer.url, accessToken)),
  )
  // The downstream peer: an SDK server whose whoami calls the Tasks API with a token it holds, the one
  // our MCP server's on-behalf-of exchange gives for this user (exchanged here once, lives 600 s).
  const downstreamToken = await exchangeForTasksApi(accessToken)
  await startRoles(
    [
      {
        name: 'peer-mcp-downstream',
        cwd: PEERS_FOLDER,
        entry: 'mcp-sdk-server.ts',
        port: PEER.mcpDownstream.port,
        readyUrl: `${peerUrl(14)}/ready`,
        ...serverCpus,
      },
    ],
    {
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        PEER_PORT: String(PEER.mcpDownstream.port),
        PEER_BEARER: 'false',
        PEER_DOWNSTREAM_URL: urls.tasksApi,
        PEER_DOWNSTREAM_TOKEN: downstreamToken,
      },
      outputLimit: OUTPUT_TAIL,
      started: watch,
    },
  )
  const peerDownstreamSessions = await Promise.all(
    Array.from({ length: CONCURRENCY }, () => openSession(PEER.mcpDownstream.url, undefined)),
  )
  const peerWhoami = async (endpoint: string, session: McpSession, expected: string) => {
    const who = await callTool(endpoint, accessToken, session, 'whoami')
    if (who['subject'] !== expected)
      throw new Error(`peer whoami: subject ${JSON.stringify(who['subject'])}, expected ${expected}`)
  }
  console.log('mcp:')
  await measureGroup([
    { name: BASE_C, serving: ['mcp'], isBaseline: true, operation: () => getOk(PRM_URL) },
    {
      name: WHOAMI,
      serving: ['mcp', 'tasks-api'],
      baseline: BASE_C,
      operation: (worker) => whoami(accessToken, sessions[worker]!),
    },
    {
      // Little's law: at BENCH_CONCURRENCY the latency above is mostly the queue on the one server
      // core; one call at a time shows what a call itself takes (its CPU, both hops, no Nagle waits).
      name: WHOAMI_ONE,
      serving: ['mcp', 'tasks-api'],
      concurrency: 1,
      operation: () => whoami(accessToken, sessions[0]!),
    },
    {
      name: PEER_MCP_DOWNSTREAM,
      serving: ['peer-mcp-downstream', 'tasks-api'],
      operation: (worker) => peerWhoami(PEER.mcpDownstream.url, peerDownstreamSessions[worker]!, USER.localSub),
    },
    {
      name: WHOAMI_COLD,
      serving: ['mcp-cold', 'as', 'tasks-api'],
      operation: (worker) => whoami(accessToken, coldSessions[worker]!, MCP_COLD.url),
    },
    {
      name: WHOAMI_INTROSPECT,
      serving: ['mcp-introspect', 'as', 'tasks-api'],
      operation: (worker) => whoami(accessToken, introspectSessions[worker]!, MCP_INTROSPECT.url),
    },
    {
      name: WHOAMI_INTROSPECT_EVERY,
      serving: ['mcp-introspect-every', 'as', 'tasks-api'],
      operation: (worker) => whoami(accessToken, introspectEverySessions[worker]!, MCP_INTROSPECT_EVERY.url),
    },
    {
      name: PEER_MCP_BEARER,
      serving: ['peer-mcp-bearer'],
      operation: (worker) => peerWhoami(PEER.mcpBearer.url, peerBearerSessions[worker]!, USER.localSub),
    },
    {
      name: PEER_MCP,
      serving: ['peer-mcp'],
      operation: (worker) => peerWhoami(PEER.mcp.url, peerSessions[worker]!, 'anonymous'),
    },
    {
      name: PING,
      serving: ['mcp'],
      baseline: BASE_C,
      operation: (worker) => ping(urls.rs, accessToken, sessions[worker]!),
    },
    {
      name: PING_VERIFY_EVERY,
      serving: ['mcp-verify-every'],
      operation: (worker) => ping(MCP_VERIFY_EVERY.url, accessToken, verifyEverySessions[worker]!),
    },
    {
      name: PEER_MCP_PING,
      serving: ['peer-mcp'],
      operation: (worker) => ping(PEER.mcp.url, accessToken, peerSessions[worker]!),
    },
    {
      name: PEER_MCP_BEARER_PING,
      serving: ['peer-mcp-bearer'],
      operation: (worker) => ping(PEER.mcpBearer.url, accessToken, peerBearerSessions[worker]!),
    },
    { name: 'MCP POST without token → 401', serving: ['mcp'], baseline: BASE_C, operation: () => refused() },
  ])

  // Issue 11: a held ID token to a tool result, one chain at a time, so that the latency is the
  // chain's own and not a queue's. Each chain opens an MCP session; they are closed after the row.
  const chainSessions: Array<{ token: string; session: McpSession }> = []
  console.log('the chain to a tool result:')
  await measureGroup([
    {
      name: CHAIN_TO_TOOL,
      serving: ['idp', 'as', 'mcp', 'tasks-api'],
      concurrency: 1,
      operation: async () => {
        const token = await redeem(await exchange(idToken))
        const session = await openSession(urls.rs, token)
        chainSessions.push({ token, session })
        await whoami(token, session)
      },
    },
  ])
  for (const { token, session } of chainSessions) await closeSession(urls.rs, token, session)

  console.log('')
  printTable()
  console.log('')
  printComparisons()
  printMcpCpuShare()
  printChainToTool()
  printLoggingCost()
  printHopCost()
  printRedisShare(redisTrip, commandsPerRedemption)
  printPolicyCheckCost(hgetMs, commandsPerExchange)
  printIntrospectionCost()
  printVerifiedTokenCacheShare()
  console.log('')
  console.log('req/s and latencies count only requests that got the expected answer (200 with a token or')
  console.log("a tool result; 401 for the refusal); vs base = req/s over the same server's baseline row")
  console.log("(for the Redis rows: over the in-memory redemption). The Redis rows leave out redis-server's own CPU.")
  console.log('srv CPU% / bench CPU%: CPU time of the serving process(es) (idp+as for the chain) / of this')
  console.log("load generator over the timed part, 100 = one core. srv CPU ms/req: the serving processes'")
  console.log('CPU time per answered request, which depends less than req/s on what else the machine runs.')
  console.log('The chain row has no baseline: it spans two servers.')
  // The AS verifies ID-JAGs with the IdP's keys and the MCP server access tokens with the AS's keys,
  // both from a cached remote JWK Set: if that cache missed, the key owner would work during the row.
  const idleness = (rowName: string, role: string): string => {
    const row = rows.find((candidate) => candidate.name === rowName)
    const seconds = row?.cpuByRole.get(role)
    return row === undefined || seconds === undefined
      ? '—'
      : `${((seconds / row.result.elapsedSeconds) * 100).toFixed(1)}%`
  }
  console.log(
    `Key owners' CPU while others verify with their cached JWKS: idp during jwt-bearer ${idleness(REDEEM, 'idp')}, as during tools/call ${idleness(WHOAMI, 'as')}.`,
  )
  const redeemRow = rows.find((row) => row.name === REDEEM)
  console.log(
    `The redemption row used a pool of ${pool.length} pre-minted ID-JAGs (${mintSeconds.toFixed(1)} s to mint)${redeemRow?.result.endedEarly === true ? `; IT RAN OUT: measured over ${redeemRow.result.elapsedSeconds.toFixed(1)} s only` : ''}.`,
  )
  console.log(
    `load average ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')} (1, 5, 15 min) at the end`,
  )
  const failed = rows.filter((row) => row.result.errors > 0)
  for (const row of failed)
    console.log(`ERRORS in "${row.name}": ${row.result.errors}, the first: ${row.result.firstError ?? '?'}`)
  for (const line of warmupErrors) console.log(`ERRORS in ${line}`)
  return failed.length === 0 && warmupErrors.length === 0 ? 0 : 1
}

let code = 1
try {
  code = await main()
} catch (error) {
  if (!stopping) console.error(`\nbenchmark failed: ${error instanceof Error ? error.message : String(error)}`)
} finally {
  await stopAll()
}
process.exit(code)
