import { after, before } from 'node:test'

/**
 * What a suite runs against, started once before its tests and stopped after them: `start` runs in
 * `before`, its result goes to `ready` (the suite keeps what it needs), and `stop` runs in `after`.
 */
export function useForSuite<T>(
  start: () => Promise<T>,
  stop: (started: T) => Promise<void> | void,
  ready: (started: T) => unknown,
): void {
  let started: T | undefined
  before(async () => {
    started = await start()
    await ready(started)
  })
  after(async () => {
    if (started !== undefined) await stop(started)
  })
}
