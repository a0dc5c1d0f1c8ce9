import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import {
  parseEnterprisePolicy,
  PolicyValidationError,
  type EnterprisePolicy,
  type PolicyWorld,
} from './enterprise-policy.ts'

/**
 * The policy in force at the IdP. Every token exchange reads `current()`, so an administrator's
 * change applies to the next exchange, without a restart. Changes are validated against the
 * world first, then kept: in this process and, when a state file is configured, in that file
 * (written atomically: a temporary file in the same folder, then a rename), never in the tracked
 * data file; or, with `REDIS_URL`, in Redis, shared by every instance (redis-policy-store.ts, decision 0080).
 *
 * A store that cannot answer (Redis unreachable) rejects with `StoreUnavailableError` (503): the
 * exchange is refused, never decided on a policy that may be stale (fail closed).
 */
export interface PolicyStore {
  current(): Promise<EnterprisePolicy>
  /** Validates `next` (a whole policy, e.g. from the admin API) and puts it in force. */
  replace(next: unknown): Promise<EnterprisePolicy>
  /** Applies a change to a copy of the current policy, validates the result and puts it in force. */
  update(change: (draft: EnterprisePolicy) => EnterprisePolicy): Promise<EnterprisePolicy>
  /** Puts the demo policy (the data file's, for the chosen variant) back in force. */
  reset(): Promise<EnterprisePolicy>
  /** The demo policy a reset returns to. */
  readonly demoPolicy: EnterprisePolicy
  readonly world: PolicyWorld
  /** Where changes are kept, in words for the start-up log: `in memory only`, `in <file>`, `in Redis (<key>)`. */
  readonly keptIn: string
}

export interface OpenPolicyStoreOptions {
  demoPolicy: EnterprisePolicy
  world: PolicyWorld
  /** The state file; undefined keeps changes in memory only (tests, `IDP_POLICY_STATE_FILE=off`). */
  file?: string | undefined
}

/**
 * Opens the policy store of one process: the state file's policy when the file exists (edits survive
 * a restart), else the demo policy.
 * @throws {TypeError} when the state file cannot be read or is not a valid policy for this world,
 *   one line per problem naming the file and the path, and how to recover.
 */
export function openPolicyStore(options: OpenPolicyStoreOptions): PolicyStore {
  const { world, file } = options
  const demoPolicy = clone(options.demoPolicy)
  let policy = file !== undefined && existsSync(file) ? readStateFile(file, world) : clone(demoPolicy)

  const commit = (next: EnterprisePolicy): EnterprisePolicy => {
    if (file !== undefined) writeAtomically(file, `${JSON.stringify(next, null, 2)}\n`)
    policy = next
    return clone(policy)
  }
  return {
    current: async () => policy,
    replace: async (next) => commit(parseEnterprisePolicy(next, world)),
    update: async (change) => commit(parseEnterprisePolicy(change(clone(policy)), world)),
    reset: async () => {
      if (file !== undefined) rmSync(file, { force: true })
      policy = clone(demoPolicy)
      return clone(policy)
    },
    demoPolicy,
    world,
    keptIn: file === undefined ? 'in memory only' : `in ${file}`,
  }
}

function readStateFile(file: string, world: PolicyWorld): EnterprisePolicy {
  const recover = 'fix it, or delete the file to start from the demo policy'
  let value: unknown
  try {
    value = JSON.parse(readFileSync(file, 'utf8'))
  } catch (cause) {
    throw new TypeError(`IDP_POLICY_STATE_FILE ${file} is not readable JSON; ${recover}`, { cause })
  }
  try {
    return parseEnterprisePolicy(value, world)
  } catch (error) {
    if (!(error instanceof PolicyValidationError)) throw error
    throw new TypeError(
      error.issues
        .map(
          (issue) =>
            `invalid IDP_POLICY_STATE_FILE ${file} at ${issue.path || '(top level)'}: ${issue.message}; ${recover}`,
        )
        .join('\n'),
      { cause: error },
    )
  }
}

/** A reader never sees half a file: write a sibling temporary file, then rename it over the target. */
function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true })
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  try {
    writeFileSync(temporary, text, { mode: 0o600 })
    renameSync(temporary, file)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw error
  }
}

function clone(policy: EnterprisePolicy): EnterprisePolicy {
  return structuredClone(policy)
}
