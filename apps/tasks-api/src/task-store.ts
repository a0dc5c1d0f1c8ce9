/** Who wrote: the user, the actor acting for them now (outermost `act.sub`), the client the token was issued to, and when. */
export interface WriteRecord {
  sub: string
  actor: string
  client_id: string
  at: string
}

/** One task as the API returns it. */
export interface Task {
  id: string
  title: string
  created_at: string
  /** Which actor added it for which user (OBO-13). */
  added_by: WriteRecord
}

/** The owner of tasks: the token's (`iss`, `sub`), so the same user sees the same list through any client or actor. */
export interface TaskOwner {
  iss: string
  sub: string
}

/**
 * Per-user tasks plus an audit trail of every write: in the process (`createInMemoryTaskStore`), or on
 * Redis with REDIS_URL (`createRedisTaskStore`), shared by every instance and kept across restarts.
 * A store that cannot answer rejects with StoreUnavailableError (503 `temporarily_unavailable`).
 */
export interface TaskStore {
  list(owner: TaskOwner): Promise<Task[]>
  /** @throws {TaskLimitError} when the owner already holds the most tasks allowed. */
  add(owner: TaskOwner, title: string, record: WriteRecord): Promise<Task>
  /** Every write, oldest first (at most the last {@link MAX_WRITES}). */
  writes(): Promise<WriteRecord[]>
  /** Forgets every task and write: the demo's start (`POST /demo/reset`). */
  clear(): Promise<void>
}

export interface InMemoryTaskStoreOptions {
  /** Most tasks one user may hold, so a demo server's memory stays bounded. Default 1000. */
  maxTasksPerUser?: number
}

/** A user already holds the most tasks allowed. */
export class TaskLimitError extends Error {
  constructor(limit: number) {
    super(`a user may hold at most ${limit} tasks`)
    this.name = 'TaskLimitError'
  }
}

/** How many writes the audit trail keeps. */
export const MAX_WRITES = 10_000

/** An in-memory TaskStore; everything is lost on restart. */
export function createInMemoryTaskStore(options: InMemoryTaskStoreOptions = {}): TaskStore {
  const maxTasksPerUser = options.maxTasksPerUser ?? 1000
  const tasksByOwner = new Map<string, Task[]>()
  const writes: WriteRecord[] = []
  const keyOf = (owner: TaskOwner): string => JSON.stringify([owner.iss, owner.sub])
  return {
    list: async (owner) => [...(tasksByOwner.get(keyOf(owner)) ?? [])],
    add: async (owner, title, record) => {
      const key = keyOf(owner)
      const tasks = tasksByOwner.get(key) ?? []
      if (tasks.length >= maxTasksPerUser) throw new TaskLimitError(maxTasksPerUser)
      const task: Task = { id: crypto.randomUUID(), title, created_at: record.at, added_by: record }
      tasksByOwner.set(key, [...tasks, task])
      writes.push(record)
      if (writes.length > MAX_WRITES) writes.shift()
      return task
    },
    writes: async () => [...writes],
    clear: async () => {
      tasksByOwner.clear()
      writes.length = 0
    },
  }
}
