import { spawn } from 'node:child_process'
import { appFolder, type DemoWorldUrls } from './demo-world.ts'

/** How one run of the agent CLI ended. */
export interface AgentCliRun {
  code: number | null
  stdout: string
  stderr: string
}

export interface RunAgentCliOptions {
  /** The CLI's whole environment (URLs, AGENT_CLI_KEY_FILE, AGENT_STATE_FILE, …). */
  env: NodeJS.ProcessEnv
  /** Written to its standard input, which is then closed (e.g. an ID token for `login --id-token`). */
  stdin?: string
  /** Plays the browser: called once with the first sign-in URL the CLI prints on stderr. */
  browser?: (signInUrl: string) => Promise<void>
}

export interface RunningAgentCli {
  /** The first sign-in URL the CLI prints (for a `login`); never settles for other commands. */
  signInUrl: Promise<string>
  /** The run's end, after `browser` (if any) has finished; rejects if `browser` failed. */
  done: Promise<AgentCliRun>
}

/**
 * The agent CLI's environment for the demo world at `urls`: `base`, the URLs, plain http to loopback,
 * its key file and state file, and no browser opened (the caller plays the browser).
 */
export function agentCliEnv(
  base: NodeJS.ProcessEnv,
  urls: DemoWorldUrls,
  files: { keyFile: string; stateFile: string; loginTimeoutSeconds?: number },
): NodeJS.ProcessEnv {
  return {
    ...base,
    IDP_ISSUER: urls.idp,
    AS_ISSUER: urls.as,
    RS_RESOURCE: urls.rs,
    ALLOW_INSECURE_HTTP: 'true',
    AGENT_CLI_KEY_FILE: files.keyFile,
    AGENT_STATE_FILE: files.stateFile,
    AGENT_OPEN_BROWSER: 'false',
    AGENT_LOGIN_TIMEOUT_SECONDS: String(files.loginTimeoutSeconds ?? 30),
  }
}

/**
 * Runs the headless agent CLI (`node apps/agent-cli/src/main.ts <args>`) as its own process, as
 * `npm run agent` does, and collects what it prints. Nothing of the CLI is imported.
 */
export function runAgentCli(args: readonly string[], options: RunAgentCliOptions): RunningAgentCli {
  const child = spawn(process.execPath, [`${appFolder('agent-cli')}src/main.ts`, ...args], {
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let found: ((url: string) => void) | undefined
  const signInUrl = new Promise<string>((resolve) => (found = resolve))
  let browsing: Promise<void> | undefined
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    const url = /(https?:\/\/\S+\/auth\?\S+)/.exec(stderr)?.[1]
    if (url === undefined || found === undefined) return
    found(url)
    found = undefined
    if (options.browser !== undefined) browsing = options.browser(url)
  })
  child.stdin.end(options.stdin ?? '')
  const done = new Promise<AgentCliRun>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      void (async () => {
        try {
          await browsing
          resolve({ code, stdout, stderr })
        } catch (error) {
          reject(error)
        }
      })()
    })
  })
  return { signInUrl, done }
}
