import { spawn, type ChildProcess } from 'node:child_process'

export interface RoleProcess {
  child: ChildProcess
  /** Everything it wrote to stdout and stderr so far. */
  output(): string
  /** Resolves with the exit code (null when a signal ended it) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** SIGKILL if still running (for `finally`). */
  kill(): void
}

/**
 * Runs a role's `src/main.ts` in `cwd` with exactly `env` (plus PATH), as deployed; resolves once
 * `readyUrl` answers (any status), or rejects with the role's output when it exits or 15 s pass.
 */
export async function startRoleProcess(options: {
  cwd: string
  env: Record<string, string>
  readyUrl: string
  entry?: string
}): Promise<RoleProcess> {
  const child = spawn(process.execPath, [options.entry ?? 'src/main.ts'], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  let hasExited = false
  void exited.then(() => (hasExited = true))
  const role: RoleProcess = {
    child,
    output: () => output,
    exited,
    kill: () => {
      if (!hasExited) child.kill('SIGKILL')
    },
  }
  const deadline = Date.now() + 15_000
  for (;;) {
    if (hasExited) throw new Error(`the role exited before it answered:\n${output}`)
    if (Date.now() > deadline) {
      role.kill()
      throw new Error(`the role did not answer ${options.readyUrl} within 15 s:\n${output}`)
    }
    try {
      await fetch(options.readyUrl, { signal: AbortSignal.timeout(1000) })
      return role
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
