import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The official MCP Inspector's launcher (the `mcp-inspector` bin of @modelcontextprotocol/inspector). */
const LAUNCHER = fileURLToPath(import.meta.resolve('@modelcontextprotocol/inspector/clients/launcher/build/index.js'))

/** What the Inspector is told about the stack: its registration at the IdP and at the authorization server. */
export interface InspectorSetup {
  /** The MCP server URL. */
  serverUrl: string
  idp: { issuer: string; clientId: string; clientSecret: string }
  /** Its client at the MCP server's authorization server. */
  authorizationServer: { clientId: string; clientSecret: string }
}

/**
 * Writes the two files the Inspector reads, in `home` (its own $HOME, so nothing of the machine's
 * ~/.mcp-inspector is read or written): the install-level client config (`enterpriseManagedAuth`:
 * the enterprise IdP) and a session config naming the MCP server `tasks` with `oauth.enterpriseManaged`.
 * The Inspector moves the IdP client secret from client.json into its secret store on first read.
 */
export function writeInspectorConfig(
  home: string,
  setup: InspectorSetup,
): { clientConfig: string; serverConfig: string } {
  mkdirSync(home, { recursive: true })
  const clientConfig = path.join(home, 'client.json')
  const serverConfig = path.join(home, 'mcp.json')
  writeFileSync(clientConfig, JSON.stringify({ enterpriseManagedAuth: { enabled: true, idp: setup.idp } }), {
    mode: 0o600,
  })
  writeFileSync(
    serverConfig,
    JSON.stringify({
      mcpServers: {
        tasks: {
          type: 'streamable-http',
          url: setup.serverUrl,
          oauth: {
            clientId: setup.authorizationServer.clientId,
            clientSecret: setup.authorizationServer.clientSecret,
            enterpriseManaged: true,
          },
        },
      },
    }),
    { mode: 0o600 },
  )
  return { clientConfig, serverConfig }
}

export interface InspectorRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** The URLs the Inspector asked the user to open, in order. */
  navigations: string[]
}

export interface RunInspectorOptions {
  home: string
  /**
   * Plays the user's browser: called with each URL the Inspector asks the user to open. The
   * Inspector waits on its loopback listener meanwhile. A URL the browser cannot handle (not http)
   * ends the run: the Inspector would wait for a callback that never comes.
   */
  browser?: (url: string) => Promise<void>
  /** Kill the run after this many ms (default 30 s). */
  timeoutMs?: number
}

/**
 * Runs `mcp-inspector --cli --config <home>/mcp.json --server tasks … <args>` as its own process, as a
 * user would in a terminal. It has no terminal here, so `MCP_AUTO_OPEN_ENABLED=true` (its documented
 * switch) lets it start interactive sign-in anyway; it then prints "Please navigate to: <url>" and
 * "opens" the URL with `BROWSER=true`, a browser that does nothing (no display, `xdg-open` falls back to
 * $BROWSER), so `browser` is the one that signs in. The loopback listener takes an ephemeral port
 * (`--callback-url http://127.0.0.1:0/oauth/callback`). Secrets are kept in a file under `home`.
 */
export function runInspector(args: string[], options: RunInspectorOptions): Promise<InspectorRun> {
  const { home } = options
  const child = spawn(
    process.execPath,
    [
      LAUNCHER,
      '--cli',
      '--config',
      path.join(home, 'mcp.json'),
      '--server',
      'tasks',
      '--client-config',
      path.join(home, 'client.json'),
      '--callback-url',
      'http://127.0.0.1:0/oauth/callback',
      ...args,
    ],
    {
      cwd: home,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        MCP_INSPECTOR_SECRET_STORE: 'file', // no OS keychain here
        MCP_AUTO_OPEN_ENABLED: 'true',
        BROWSER: 'true',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const run: InspectorRun = { code: null, signal: null, stdout: '', stderr: '', navigations: [] }
  const browsing: Array<Promise<void>> = []
  let pending = ''
  child.stdout.on('data', (chunk: Buffer) => {
    run.stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    run.stderr += chunk.toString()
    pending += chunk.toString()
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const url = /^Please navigate to: (\S+)$/.exec(line)?.[1]
      if (url === undefined) continue
      run.navigations.push(url)
      if (!/^https?:/.test(url) || options.browser === undefined) {
        child.kill('SIGTERM')
        continue
      }
      browsing.push(
        options.browser(url).catch((error: unknown) => {
          child.kill('SIGTERM')
          throw error
        }),
      )
    }
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      run.code = code
      run.signal = signal
      Promise.all(browsing).then(() => resolve(run), reject)
    })
  })
}
