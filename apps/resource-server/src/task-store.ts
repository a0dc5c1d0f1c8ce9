import type { Principal } from './principal.ts'

/** One task as the tools return it. */
export interface Task {
  id: string
  title: string
  created_at: string
}

/** Per-user tasks, keyed by the token's (`iss`, `sub`): the same user sees the same list through any client. */
export interface TaskStore {
  list(owner: Principal): Task[]
  add(owner: Principal, title: string, now: Date): Task
}

export interface InMemoryTaskStoreOptions {
  /** Most tasks one user may hold, so a demo server's memory stays bounded. Default 1000. */
  maxTasksPerUser?: number
}

/** An in-memory TaskStore; everything is lost on restart. */
export function createInMemoryTaskStore(options: InMemoryTaskStoreOptions = {}): TaskStore {
  const maxTasksPerUser = options.maxTasksPerUser ?? 1000
  const tasksByOwner = new Map<string, Task[]>()
  const keyOf = (owner: Principal): string => {
    if (owner.iss === undefined || owner.sub === undefined) throw new Error('a task owner needs both iss and sub')
    return JSON.stringify([owner.iss, owner.sub])
  }
  return {
    list: (owner) => [...(tasksByOwner.get(keyOf(owner)) ?? [])],
    add: (owner, title, now) => {
      const key = keyOf(owner)
      const tasks = tasksByOwner.get(key) ?? []
      if (tasks.length >= maxTasksPerUser) throw new Error(`a user may hold at most ${maxTasksPerUser} tasks`)
      const task: Task = { id: crypto.randomUUID(), title, created_at: now.toISOString() }
      tasksByOwner.set(key, [...tasks, task])
      return task
    },
  }
}
