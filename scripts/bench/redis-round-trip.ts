import { connect, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'

/** One RESP command as bytes. */
function command(...parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`
}

/**
 * A bare Redis connection (RESP over node:net, one command at a time): enough to time a round trip
 * without any client library's work on top, and to read INFO.
 */
export class RedisProbe {
  readonly #socket: Socket
  #buffer = ''
  #waiting: ((reply: string) => void) | undefined

  private constructor(socket: Socket) {
    this.#socket = socket
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString('utf8')
      const reply = complete(this.#buffer)
      if (reply === undefined) return
      this.#buffer = ''
      const resolve = this.#waiting
      this.#waiting = undefined
      resolve?.(reply)
    })
  }

  static open(port: number): Promise<RedisProbe> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new RedisProbe(socket)))
      socket.once('error', reject)
    })
  }

  send(...parts: string[]): Promise<string> {
    return new Promise((resolve) => {
      this.#waiting = resolve
      this.#socket.write(command(...parts))
    })
  }

  /** `INFO stats`'s total_commands_processed. */
  async commandsProcessed(): Promise<number> {
    const match = /total_commands_processed:(\d+)/.exec(await this.send('INFO', 'stats'))
    return match === null ? Number.NaN : Number(match[1])
  }

  /**
   * Median milliseconds of `SET <fresh key> 1 NX PX 60000` (what the replay store sends per
   * redemption) and of `PING`, one at a time for `seconds` each.
   */
  async roundTrips(seconds: number): Promise<{ setNxMs: number; pingMs: number }> {
    let n = 0
    return {
      setNxMs: await this.#median(seconds, () => ['SET', `ema:bench:probe:${n++}`, '1', 'NX', 'PX', '60000']),
      pingMs: await this.#median(seconds, () => ['PING']),
    }
  }

  /** Median milliseconds of `HGET <key> revision`: what the IdP's policy check sends per exchange (decision 0080). */
  hgetRoundTrip(key: string, seconds: number): Promise<number> {
    return this.#median(seconds, () => ['HGET', key, 'revision'])
  }

  /** Median milliseconds of one command, sent one at a time for `seconds`. */
  async #median(seconds: number, next: () => string[]): Promise<number> {
    const samples: number[] = []
    const end = performance.now() + seconds * 1000
    while (performance.now() < end) {
      const start = performance.now()
      await this.send(...next())
      samples.push(performance.now() - start)
    }
    samples.sort((a, b) => a - b)
    return samples[Math.floor(samples.length / 2)] ?? Number.NaN
  }

  close(): void {
    this.#socket.end()
  }
}

/** The reply in `buffer` if it is whole (simple, error, integer, bulk), else undefined. */
function complete(buffer: string): string | undefined {
  const lineEnd = buffer.indexOf('\r\n')
  if (lineEnd < 0) return undefined
  if (buffer[0] !== '$') return buffer.slice(1, lineEnd)
  const length = Number(buffer.slice(1, lineEnd))
  if (length < 0) return ''
  const body = buffer.slice(lineEnd + 2)
  return Buffer.byteLength(body) >= length + 2 ? body.slice(0, body.length - 2) : undefined
}
