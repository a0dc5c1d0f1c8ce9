import { startRedisServer as startRedis, type RunningRedisServer } from '@ema/demo-kit'
import { createLogger, type LogFields, type Logger } from '@ema/server-kit'
import { StoreUnavailableError } from '@ema/tokens'
import assert from 'node:assert/strict'
import { connectRedis, type RedisConnection } from '../../src/index.ts'

export type { RunningRedisServer }

/**
 * A redis-server of its own for a test file: `REDIS_SERVER` names the program, default `redis-server`
 * on the PATH; on `port`, else a free one.
 */
export function startRedisServer(port?: number): Promise<RunningRedisServer> {
  return startRedis({
    ...(process.env.REDIS_SERVER === undefined ? {} : { command: process.env.REDIS_SERVER }),
    ...(port === undefined ? {} : { port }),
  })
}

/** A logger that keeps its lines, so a test can read what was logged (and that no secret was). */
export function recordingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = []
  return { log: createLogger({ name: 'test', write: (line: string) => lines.push(line) }), lines }
}

/** A connection with short timeouts, ready before it is returned. */
export async function readyConnection(
  url: string,
  options: { commandTimeoutMs?: number; log?: Logger } = {},
): Promise<RedisConnection> {
  const connection = connectRedis({
    url,
    commandTimeoutMs: options.commandTimeoutMs ?? 300,
    maxReconnectDelayMs: 100,
    log: options.log ?? recordingLogger().log,
  })
  await waitUntil(() => connection.isReady, 5_000)
  return connection
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Asserts that `operation` rejects with a StoreUnavailableError within `withinMs`, and returns that error. */
export async function assertUnavailableWithin(
  operation: () => Promise<unknown>,
  withinMs: number,
): Promise<StoreUnavailableError> {
  const started = Date.now()
  const error = await operation().then(
    () => undefined,
    (e: unknown) => e,
  )
  const took = Date.now() - started
  assert.ok(error instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${String(error)}`)
  assert.equal(error.status, 503)
  assert.equal(error.error, 'temporarily_unavailable')
  assert.ok(took <= withinMs, `answered in ${took} ms, more than ${withinMs} ms`)
  return error
}

export type { LogFields }

/** A redis-server of a test file's own and two ready connections to it: two instances of one role. */
export interface TwoInstancesOnOneRedis {
  redis: RunningRedisServer
  one: RedisConnection
  two: RedisConnection
  /** Closes both connections, then stops the server. */
  close(): Promise<void>
}

/** Starts {@link TwoInstancesOnOneRedis} (on `port`, else a free one). */
export async function twoInstancesOnOneRedis(port?: number): Promise<TwoInstancesOnOneRedis> {
  const redis = await startRedisServer(port)
  const one = await readyConnection(redis.url)
  const two = await readyConnection(redis.url)
  return {
    redis,
    one,
    two,
    close: async () => {
      await one.close()
      await two.close()
      await redis.stop()
    },
  }
}
