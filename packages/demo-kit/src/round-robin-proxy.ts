import { createServer, request, type IncomingMessage, type Server } from 'node:http'

export interface RoundRobinProxy {
  port: number
  server: Server
  close(): Promise<void>
}

export interface RoundRobinProxyOptions {
  /** Where it listens (on localhost): the port of the deployment's public URL (its issuer). */
  port: number
  /** The instances' ports on localhost, taken in turn. */
  targets: readonly number[]
}

/**
 * A stand-in for a load balancer, for `npm run start:cluster` on one machine: each request goes to the
 * next instance in turn, with its Host header unchanged (the issuer's). A request whose instance
 * refuses the connection (stopped, restarting) is sent to the next one, so stopping one instance
 * shows the others carrying on. Bodies are read first (token requests are small forms; at most 1 MiB).
 * Not for production: no TLS, no health checks, no timeouts beyond Node's (docs/deployment.md).
 */
export async function startRoundRobinProxy(options: RoundRobinProxyOptions): Promise<RoundRobinProxy> {
  let next = 0
  const server = createServer((req, res) => {
    readBody(req).then(
      (body) => {
        if (body === undefined) {
          res.writeHead(413).end()
          return
        }
        const attempt = (tries: number): void => {
          const port = options.targets[next++ % options.targets.length]!
          const upstream = request(
            { host: 'localhost', port, method: req.method, path: req.url, headers: req.headers },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, answer.headers)
              answer.pipe(res)
            },
          )
          upstream.once('error', (error: NodeJS.ErrnoException) => {
            if (error.code === 'ECONNREFUSED' && tries + 1 < options.targets.length && !res.headersSent)
              return attempt(tries + 1)
            if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('no instance answered')
            else res.destroy()
          })
          upstream.end(body)
        }
        attempt(0)
      },
      () => res.destroy(),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, 'localhost', () => resolve())
  })
  return {
    port: options.port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > 1024 * 1024) return undefined
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}
