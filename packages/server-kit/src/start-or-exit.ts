import { createLogger } from './logger.ts'

/**
 * Runs a role's start-up step (reading its configuration, importing keys) and turns a failure into
 * one log line and exit code 1: a configuration mistake is reported in words, never as a stack
 * trace, and never with the offending value (the step's error message must not echo secrets).
 */
export function startOrExit<T>(role: string, step: () => T): T {
  try {
    return step()
  } catch (error) {
    createLogger({ name: role }).error(`cannot start: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
}
