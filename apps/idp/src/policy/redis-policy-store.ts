import type { Logger } from '@ema/server-kit'
import { RedisVersionedDocument, type RedisConnection } from '@ema/redis-store'
import { TemporarilyUnavailableError } from '@ema/tokens'
import {
  parseEnterprisePolicy,
  PolicyValidationError,
  type EnterprisePolicy,
  type PolicyWorld,
} from './enterprise-policy.ts'
import type { PolicyStore } from './policy-store.ts'

export interface OpenRedisPolicyStoreOptions {
  demoPolicy: EnterprisePolicy
  world: PolicyWorld
  connection: RedisConnection
  /** The deployment's key prefix (`REDIS_KEY_PREFIX`). */
  prefix: string
  /** The demo policy's variant (`IDP_DEMO_POLICY`): each variant keeps its own edits, as the state files do. */
  variant: string
  log: Logger
}

/** How many times an edit is retried when another instance's edit came first. */
const MAX_ATTEMPTS = 5

/**
 * The administrator's policy on Redis, shared by every IdP instance (IDP-13, decision 0080): one hash
 * `<prefix>:policy:<variant>` holding the edited policy (absent: the demo policy) and a random revision
 * that every write changes.
 *
 * Each instance keeps the parsed policy of the revision it last read. `current()`, before every token
 * exchange, asks Redis for the revision only (one `HGET`) and reads and validates the policy again only
 * when it changed, so an edit at any instance applies to the next exchange at every instance. If Redis
 * cannot answer, `current()` rejects with StoreUnavailableError (503 `temporarily_unavailable`): an
 * instance never decides on a copy it cannot confirm (fail closed), and never opens up. Edits are
 * compare-and-set on the revision, so concurrent edits at two instances never lose one; a reset clears
 * the edit (every instance falls back to its demo policy) with a new revision.
 *
 * A stored policy that does not validate against this instance's world (instances started with
 * different data files) refuses exchanges with 503 and logs which problems, rather than guessing.
 */
export function openRedisPolicyStore(options: OpenRedisPolicyStoreOptions): PolicyStore {
  const { world, log } = options
  const demoPolicy = structuredClone(options.demoPolicy)
  const document = new RedisVersionedDocument({
    connection: options.connection,
    prefix: options.prefix,
    name: `policy:${options.variant}`,
  })
  let kept: { revision: string; policy: EnterprisePolicy } | undefined
  let loading: Promise<{ revision: string; policy: EnterprisePolicy }> | undefined

  /** The policy a stored text stands for: the demo policy when there is none. */
  const parse = (text: string | undefined): EnterprisePolicy => {
    if (text === undefined) return structuredClone(demoPolicy)
    try {
      return parseEnterprisePolicy(JSON.parse(text), world)
    } catch (error) {
      log.error(
        `the policy in Redis (${document.key}) is not valid for this IdP's world; token exchanges are refused`,
        {
          problems:
            error instanceof PolicyValidationError
              ? error.issues.map((issue) => `${issue.path || '(top level)'}: ${issue.message}`).join('; ')
              : 'not JSON',
        },
      )
      throw new TemporarilyUnavailableError("the administrator's policy cannot be read; try again later", {
        cause: error,
      })
    }
  }

  /** Reads the document and keeps its parsed policy. */
  const load = async (): Promise<{ revision: string; policy: EnterprisePolicy }> => {
    const snapshot = await document.read()
    const loaded = { revision: snapshot.revision, policy: parse(snapshot.text) }
    kept = loaded
    return loaded
  }

  const write = async (next: EnterprisePolicy | undefined, ifRevision?: string): Promise<string | undefined> =>
    document.write(next === undefined ? undefined : JSON.stringify(next), ifRevision)

  return {
    async current() {
      const revision = await document.revision() // one round trip per exchange
      if (kept !== undefined && kept.revision === revision) return kept.policy
      // A new revision: concurrent exchanges share one read of it. A shared read that started before
      // this revision was written may return the one before; then this exchange reads again.
      loading ??= load().finally(() => {
        loading = undefined
      })
      const loaded = await loading
      return loaded.revision === revision ? loaded.policy : (await load()).policy
    },
    async replace(next) {
      const policy = parseEnterprisePolicy(next, world)
      const revision = await write(policy)
      if (revision !== undefined) kept = { revision, policy }
      return structuredClone(policy)
    },
    async update(change) {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const base = await load()
        const policy = parseEnterprisePolicy(change(structuredClone(base.policy)), world)
        const revision = await write(policy, base.revision)
        if (revision === undefined) continue // another instance's edit came first: apply this one to it
        kept = { revision, policy }
        return structuredClone(policy)
      }
      throw new TemporarilyUnavailableError('the policy is being changed elsewhere right now; try again')
    },
    async reset() {
      const revision = await write(undefined)
      if (revision !== undefined) kept = { revision, policy: structuredClone(demoPolicy) }
      return structuredClone(demoPolicy)
    },
    demoPolicy,
    world,
    keptIn: `in Redis (${document.key}), shared by every instance`,
  }
}
