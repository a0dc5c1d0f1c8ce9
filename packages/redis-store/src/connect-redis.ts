import { StoreUnavailableError } from '@ema/tokens'
import type { Logger } from '@ema/server-kit'
import { createClient } from 'redis'

/** The node-redis client as this package uses it (RESP2, no modules). */
export type RedisClient = ReturnType<typeof createClient>

export interface ConnectRedisOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. Never logged (it may hold a password). */
  url: string
  /**
   * Every store operation (one command, a transaction or a script) must answer within this many
   * milliseconds, else it fails with StoreUnavailableError: a Redis that hangs must not hang the
   * request. Default 1000.
   */
  commandTimeoutMs?: number
  /** Most commands in flight on the connection (a hung Redis must not grow memory without bound). Default 10,000. */
  maxPendingCommands?: number
  /** Most milliseconds to open one connection. Default 2000. */
  connectTimeoutMs?: number
  /** Longest pause between two reconnection attempts; they go on forever. Default 2000. */
  maxReconnectDelayMs?: number
  log: Logger
}

/**
 * One Redis connection for one process, shared by every store of this package.
 *
 * Fails closed and fast: commands are not queued while the connection is down (node-redis'
 * `disableOfflineQueue`), every command has a timeout, and every failure reaches the caller as a
 * StoreUnavailableError (HTTP 503 `temporarily_unavailable`) through {@link RedisConnection.run}.
 * Reconnection runs in the background forever, so a Redis that comes back is used again without a
 * restart of the role.
 */
export interface RedisConnection {
  readonly client: RedisClient
  /** True while the connection is up and has completed its handshake. */
  readonly isReady: boolean
  /** Runs one store operation; any failure becomes a StoreUnavailableError whose cause is the client's error. */
  run<T>(operation: (client: RedisClient) => Promise<T>): Promise<T>
  /** Readiness: PING answered in time, else a StoreUnavailableError. */
  ping(): Promise<void>
  /** Closes the connection (pending commands are answered first); idempotent. */
  close(): Promise<void>
}

/**
 * Connects to Redis. Resolves at once: the first connection, like every reconnection, is made in the
 * background, and until it is up every operation fails with StoreUnavailableError (and `/readyz`
 * says not ready). Client errors are logged once per outage, without the URL.
 */
export function connectRedis(options: ConnectRedisOptions): RedisConnection {
  const { log } = options
  const commandTimeoutMs = options.commandTimeoutMs ?? 1000
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 2000
  const client: RedisClient = createClient({
    url: options.url,
    disableOfflineQueue: true, // a command while disconnected fails at once instead of waiting
    // Bounds memory while Redis hangs: commands past this many in flight fail at once.
    commandsQueueMaxLength: options.maxPendingCommands ?? 10_000,
    socket: {
      connectTimeout: options.connectTimeoutMs ?? 2000,
      // Never give up: a Redis that comes back is used again without restarting the role.
      reconnectStrategy: (retries) => Math.min(50 * 2 ** Math.min(retries, 10), maxReconnectDelayMs),
    },
  })

  let outage = false
  client.on('error', (error: unknown) => {
    if (outage) return // one line per outage, not one per reconnection attempt
    outage = true
    log.error('Redis is unreachable; requests that need it are refused with 503 until it is back', {
      cause: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    })
  })
  client.on('ready', () => {
    if (outage) log.info('Redis is reachable again')
    outage = false
  })
  client.connect().catch(() => {
    // Only when closed before the first connection succeeded; 'error' has already been logged.
  })

  let closed: Promise<void> | undefined
  const connection: RedisConnection = {
    client,
    get isReady() {
      return client.isReady
    },
    async run(operation) {
      // node-redis bounds only the wait before a command is written; once written, a Redis that hangs
      // (or a network that drops packets silently) would hold the request forever. So every operation
      // races its own deadline. A late answer is dropped, and the connection stays in step.
      let timer: NodeJS.Timeout | undefined
      const deadline = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Redis did not answer within ${commandTimeoutMs} ms`)),
          commandTimeoutMs,
        )
      })
      try {
        const pending = operation(client)
        pending.catch(() => {}) // a late failure after the deadline is not an unhandled rejection
        return await Promise.race([pending, deadline])
      } catch (error) {
        throw error instanceof StoreUnavailableError ? error : new StoreUnavailableError({ cause: error })
      } finally {
        clearTimeout(timer)
      }
    },
    async ping() {
      await connection.run(async (redis) => {
        const answer = await redis.ping()
        if (answer !== 'PONG') throw new Error(`unexpected PING answer ${String(answer)}`)
      })
    },
    close() {
      closed ??= (async () => {
        if (!client.isOpen) return
        try {
          await client.close()
        } catch {
          client.destroy()
        }
      })()
      return closed
    },
  }
  return connection
}
