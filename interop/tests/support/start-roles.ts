import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * The four URLs every role derives its configuration from (docs/demo-world.md), on ports 5200-5203:
 * away from e2e (5100-5103) and `npm start` (3000, 4001-4003). Nothing listens at the client URL;
 * it only makes the IdP's redirect URI `${client}/callback`.
 */
export const urls = {
  client: 'http://localhost:5200',
  idp: 'http://localhost:5201',
  as: 'http://localhost:5202',
  rs: 'http://localhost:5203/mcp',
} as const

export interface RunningRoles {
  /** Stops every role this call started (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>
  /** Everything the roles wrote to stdout and stderr so far, prefixed by role. */
  output(): string
}

interface Role {
  folder: string
  readyUrl: string
}

const ROLES: Role[] = [
  { folder: 'idp', readyUrl: `${urls.idp}/.well-known/openid-configuration` },
  { folder: 'authorization-server', readyUrl: `${urls.as}/.well-known/oauth-authorization-server` },
  { folder: 'resource-server', readyUrl: 'http://localhost:5203/.well-known/oauth-protected-resource/mcp' },
]

/**
 * Starts the IdP, the authorization server and the MCP server, each as its own process
 * (`node src/main.ts` in `apps/<role>`, as e2e/playwright.config.ts does), and waits until each
 * one's metadata URL answers 200. Roles talk to the test over HTTP only: nothing of theirs is imported.
 *
 * @param extraEnv added to every role's environment.
 */
export async function startRoles(extraEnv: Record<string, string> = {}): Promise<RunningRoles> {
  const env = {
    ...process.env,
    IDP_ISSUER: urls.idp,
    AS_ISSUER: urls.as,
    RS_RESOURCE: urls.rs,
    CLIENT_URL: urls.client,
    ALLOW_INSECURE_HTTP: 'true',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  }
  const children: ChildProcess[] = []
  const outputs = new Map<string, string[]>()
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((child) => stopChild(child)))
  }
  try {
    for (const role of ROLES) {
      const cwd = fileURLToPath(new URL(`../../../apps/${role.folder}/`, import.meta.url))
      const child = spawn(process.execPath, ['src/main.ts'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
      children.push(child)
      const output: string[] = []
      outputs.set(role.folder, output)
      child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()))
      child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()))
      await waitUntilReady(role, child, output)
    }
  } catch (error) {
    await stop()
    throw error
  }
  return { stop, output: () => [...outputs].map(([folder, lines]) => lines.join('').replace(/^/gm, `${folder} | `)).join('\n') }
}

async function waitUntilReady(role: Role, child: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${role.folder} exited (${child.exitCode ?? child.signalCode}) before ${role.readyUrl} answered:\n${output.join('')}`)
    }
    try {
      const response = await fetch(role.readyUrl)
      await response.arrayBuffer()
      if (response.status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${role.folder} did not answer ${role.readyUrl} within 30 s:\n${output.join('')}`)
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}
