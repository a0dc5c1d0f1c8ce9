import type { RedisConnection } from '@ema/redis-store'
import { taskListKey, taskOwnersKey, taskWritesKey } from '@ema/redis-store/keys'
import { MAX_WRITES, TaskLimitError, type Task, type TaskStore, type WriteRecord } from './task-store.ts'

export interface RedisTaskStoreOptions {
  connection: RedisConnection
  /** The deployment's key prefix (`REDIS_KEY_PREFIX`, default `ema:tasks-api:<TASKS_API_URL>`). */
  prefix: string
  /** Most tasks one user may hold. Default 1000. */
  maxTasksPerUser?: number
}

/**
 * Adds a task only below the owner's limit, records the owner's list in the owners' set and the write
 * in the trail (trimmed to its last ARGV[4]), in one step: two instances cannot both pass the limit.
 */
const ADD = `if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], KEYS[1])
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[4]), -1)
return 1`

/** Deletes every owner's list, the owners' set and the trail in one step (the demo reset). */
const CLEAR = `local lists = redis.call('SMEMBERS', KEYS[1])
for _, key in ipairs(lists) do redis.call('DEL', key) end
redis.call('DEL', KEYS[1], KEYS[2])
return #lists`

/**
 * A TaskStore on Redis (decision 0090): every instance of the Tasks API shows the same tasks, and a
 * restart keeps them. Keys: `<prefix>:tasks:<sha256(iss ␠ sub)>` (a list of the owner's tasks, JSON),
 * `<prefix>:tasks-owners` (the set of those lists) and `<prefix>:task-writes` (the trail). They have no
 * expiry: tasks are the API's data, bounded by `maxTasksPerUser` per user and {@link MAX_WRITES} writes.
 *
 * Every failure (Redis down, too slow) rejects with StoreUnavailableError: 503 `temporarily_unavailable`,
 * never a 500, within the connection's command timeout.
 */
export function createRedisTaskStore(options: RedisTaskStoreOptions): TaskStore {
  const { connection, prefix } = options
  const maxTasksPerUser = options.maxTasksPerUser ?? 1000
  return {
    list: async (owner) => {
      const items = await connection.run((redis) => redis.lRange(taskListKey(prefix, owner.iss, owner.sub), 0, -1))
      return items.map((item) => JSON.parse(item) as Task)
    },
    add: async (owner, title, record) => {
      const task: Task = { id: crypto.randomUUID(), title, created_at: record.at, added_by: record }
      const added = await connection.run((redis) =>
        redis.eval(ADD, {
          keys: [taskListKey(prefix, owner.iss, owner.sub), taskOwnersKey(prefix), taskWritesKey(prefix)],
          arguments: [String(maxTasksPerUser), JSON.stringify(task), JSON.stringify(record), String(MAX_WRITES)],
        }),
      )
      if (Number(added) !== 1) throw new TaskLimitError(maxTasksPerUser)
      return task
    },
    writes: async () => {
      const items = await connection.run((redis) => redis.lRange(taskWritesKey(prefix), 0, -1))
      return items.map((item) => JSON.parse(item) as WriteRecord)
    },
    clear: async () => {
      await connection.run((redis) => redis.eval(CLEAR, { keys: [taskOwnersKey(prefix), taskWritesKey(prefix)] }))
    },
  }
}
