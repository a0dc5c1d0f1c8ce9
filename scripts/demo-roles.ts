// What `npm start`, `npm run start:cluster` and `npm run agent` share: the demo's local URLs, one
// description of its roles, and running them with demo-kit's startRoles, their output relayed line by
// line behind a coloured `name |`, everything stopped on Ctrl-C or when one role exits.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleRoles, type RoleBundles } from '@ema/demo-kit/bundle-roles'
import { appFolder, protectedResourceMetadataUrl } from '@ema/demo-kit/demo-world'
import { startRoles, type RoleSpec, type RunningRole } from '@ema/demo-kit/start-roles'

/** The demo's URLs on localhost and plain http opted into loudly (every role warns); what is set wins. */
export function withDemoUrls(env: NodeJS.ProcessEnv) {
  env.ALLOW_INSECURE_HTTP ??= 'true'
  return Object.assign(env, {
    IDP_ISSUER: env.IDP_ISSUER ?? 'http://localhost:4001',
    AS_ISSUER: env.AS_ISSUER ?? 'http://localhost:4002',
    RS_RESOURCE: env.RS_RESOURCE ?? 'http://localhost:4003/mcp',
    CLIENT_URL: env.CLIENT_URL ?? 'http://localhost:3000',
    TASKS_API_URL: env.TASKS_API_URL ?? 'http://localhost:4004',
  })
}

/** An environment with the demo's URLs set. */
export type DemoEnv = ReturnType<typeof withDemoUrls>

export interface DemoRole extends RoleSpec {
  /** The ANSI colour of its `name |` prefix. */
  colour: number
}

/** The roles of the demo, in start order: where each one's URL and port come from, and when it is ready. */
const ROLES = [
  { key: 'idp', name: 'idp', folder: 'idp', colour: 35, url: 'IDP_ISSUER', port: 'IDP_PORT' },
  { key: 'as', name: 'auth-server', folder: 'authorization-server', colour: 33, url: 'AS_ISSUER', port: 'AS_PORT' },
  { key: 'tasksApi', name: 'tasks-api', folder: 'tasks-api', colour: 34, url: 'TASKS_API_URL', port: 'TASKS_API_PORT' },
  { key: 'rs', name: 'mcp-server', folder: 'resource-server', colour: 36, url: 'RS_RESOURCE', port: 'RS_PORT' },
  { key: 'client', name: 'client', folder: 'client', colour: 32, url: 'CLIENT_URL', port: 'CLIENT_PORT' },
] as const

/** What answers 200 once a role (one instance only: its URL) is ready: its metadata, or the client's page. */
const READY: Record<(typeof ROLES)[number]['key'], (url: string) => string> = {
  idp: (url) => `${url}/.well-known/openid-configuration`,
  as: (url) => `${url}/.well-known/oauth-authorization-server`,
  tasksApi: protectedResourceMetadataUrl,
  rs: protectedResourceMetadataUrl,
  client: (url) => `${url}/`,
}

/** The roles that run as several instances (start:cluster), each on its own port. */
export type DemoInstances = Partial<Record<(typeof ROLES)[number]['key'], number[]>>

const portOf = (url: string) => (new URL(url).port === '' ? undefined : Number(new URL(url).port))

const root = fileURLToPath(new URL('..', import.meta.url))
const CACHE_DIR = join(root, 'node_modules', '.cache', 'role-bundles')

/**
 * Each role's bundle (decision 0105): the one kept in node_modules/.cache/role-bundles/ while none of
 * its sources changed, else made now (1 to 3 s), said in one `[setup]` line. Undefined, and the
 * roles run from source (`node src/main.ts`, as the tests run them), with START_FROM_SOURCE=true or
 * when bundling fails (said in one line, with the reason).
 */
export async function demoBundles(env: NodeJS.ProcessEnv): Promise<RoleBundles | undefined> {
  if (env.START_FROM_SOURCE === 'true') {
    console.log('[setup] START_FROM_SOURCE=true: every role runs node src/main.ts')
    return undefined
  }
  const startedAt = performance.now()
  try {
    const bundles = await bundleRoles({
      root,
      cacheDir: CACHE_DIR,
      entries: Object.fromEntries(ROLES.map(({ folder }) => [folder, join(appFolder(folder), 'src', 'main.ts')])),
    })
    if (bundles.built)
      console.log(
        `[setup] bundled the roles' sources in ${((performance.now() - startedAt) / 1000).toFixed(1)} s (kept in node_modules/.cache/role-bundles/ until a source changes)`,
      )
    return bundles
  } catch (error) {
    // esbuild's message: "Build failed with 1 error:", then the first error with its file and line.
    const reason = (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 2).join(' ')
    console.warn(`[setup] cannot bundle the roles (${reason}); every role runs node src/main.ts`)
    return undefined
  }
}

/**
 * The roles at the URLs of `env` (withDemoUrls), in start order: the IdP, the auth server, the Tasks
 * API, the MCP server and the client, each from its bundle in `bundles` (with V8's compile cache beside
 * them), else from source. A role in `instances` runs once per port given (`idp-1`, `idp-2`, ready at
 * /readyz), and its public port is left to whatever balances them.
 */
export function demoRoles(env: DemoEnv, instances: DemoInstances = {}, bundles?: RoleBundles): DemoRole[] {
  const fromBundle = (folder: string): Partial<DemoRole> =>
    bundles === undefined
      ? {}
      : {
          entry: bundles.entries[folder]!,
          env: { NODE_COMPILE_CACHE: env.NODE_COMPILE_CACHE ?? bundles.compileCacheDir },
        }
  return ROLES.flatMap(({ key, name, folder, colour, url, port }): DemoRole[] => {
    const cwd = appFolder(folder)
    const ports = instances[key]
    const bundle = fromBundle(folder)
    if (ports === undefined)
      return [{ name, cwd, colour, port: portOf(env[url]), readyUrl: READY[key](env[url]), ...bundle }]
    return ports.map((instancePort, i) => ({
      name: `${name}-${i + 1}`,
      cwd,
      colour,
      port: instancePort,
      readyUrl: `http://localhost:${instancePort}/readyz`,
      ...bundle,
      env: { ...bundle.env, [port]: String(instancePort) },
    }))
  })
}

/**
 * Starts `roles` with `env`, relaying their output prefixed by name. Returns once every role answers
 * (true), or false when one did not come up (everything is stopped and `stopped(1)` called). Ctrl-C
 * (SIGINT, SIGTERM) stops every role, each draining (SIGTERM, SIGKILL after 5 s), then calls
 * `stopped(0)`; a role that exits on its own stops all of them and calls `stopped(1)`.
 */
export async function runDemoRoles(
  roles: DemoRole[],
  env: NodeJS.ProcessEnv,
  stopped: (code: number) => Promise<void> | void,
): Promise<boolean> {
  const width = Math.max(...roles.map((role) => role.name.length))
  const prefix = (role: RoleSpec) =>
    `\x1b[${roles.find((r) => r.name === role.name)?.colour ?? 0}m${role.name.padEnd(width)} |\x1b[0m `
  const running: RunningRole[] = []
  let stopping: Promise<void> | undefined
  const stop = (code: number): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.all(running.map((role) => role.stop()))
      await stopped(code)
    })())
  process.on('SIGINT', () => void stop(0))
  process.on('SIGTERM', () => void stop(0))
  try {
    await startRoles(roles, {
      env,
      together: true,
      outputLimit: 20_000,
      started: (role) => {
        running.push(role)
        relay(role.child.stdout, process.stdout, prefix(role.spec))
        relay(role.child.stderr, process.stderr, prefix(role.spec))
        role.child.once('exit', (code, signal) => {
          if (role.stopRequested() || stopping !== undefined) return
          console.error(`${prefix(role.spec)}exited (${signal ?? code}); stopping every role.`)
          void stop(1)
        })
      },
    })
  } catch (error) {
    if (stopping === undefined) console.error(error instanceof Error ? error.message.split('\n')[0] : String(error))
    await stop(1)
    return false
  }
  return stopping === undefined
}

function relay(stream: NodeJS.ReadableStream | null, out: NodeJS.WritableStream, prefix: string): void {
  let buffered = ''
  stream?.setEncoding('utf8')
  stream?.on('data', (chunk: string) => {
    buffered += chunk
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) out.write(prefix + line + '\n')
  })
}
