import { createLogger } from './logger.ts'

/**
 * Runs a role's synchronous start-up step (reading its configuration) and turns a failure into one
 * log line and exit code 1: a configuration mistake is reported in words, never as a stack trace,
 * and never with the offending value (the step's error message must not echo secrets).
 */
export function startOrExit<T>(role: string, step: () => T): T {
  try {
    return step()
  } catch (error) {
    return exitWith(role, error)
  }
}

/** {@link startOrExit} for an asynchronous step: importing a configured key, listening on a port. */
export async function startOrExitAsync<T>(role: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (error) {
    return exitWith(role, error)
  }
}

/** One log line per line of the message: a step that found several problems names each on its own line. */
function exitWith(role: string, error: unknown): never {
  const log = createLogger({ name: role })
  for (const line of (error instanceof Error ? error.message : String(error)).split('\n'))
    log.error(`cannot start: ${line}`)
  process.exit(1)
}
