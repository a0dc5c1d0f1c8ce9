import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One HTTP exchange as it crossed the proxy, in the order the requests arrived (across every proxy of a recorder). */
export interface RecordedExchange {
  /** The proxy's name, e.g. "idp". */
  via: string
  method: string
  /** Path and query, as sent. */
  path: string
  requestHeaders: IncomingHttpHeaders
  requestBody: string
  /** 0 until the response headers have arrived. */
  status: number
  responseHeaders: IncomingHttpHeaders
  /** Grows while the response streams (an SSE stream included). */
  responseBody: string
}

export interface WireRecorder {
  exchanges: RecordedExchange[]
  /** Starts a proxy named `via` at `localhost:listenPort` that forwards everything to `localhost:targetPort`. */
  proxy(via: string, listenPort: number, targetPort: number): Promise<void>
  close(): Promise<void>
}

/**
 * Reverse proxies that record what a client process put on the wire and what it got back, so a test can
 * assert on the traffic of a program it cannot hand a fetch to. Requests and responses pass through
 * unchanged (the Host header included); nothing is printed. The recordings hold credentials: assert
 * on them, never log them.
 */
export function wireRecorder(): WireRecorder {
  const exchanges: RecordedExchange[] = []
  const servers: Server[] = []
  return {
    exchanges,
    async proxy(via, listenPort, targetPort) {
      const server = createServer((req, res) => {
        const exchange: RecordedExchange = {
          via,
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          requestHeaders: req.headers,
          requestBody: '',
          status: 0,
          responseHeaders: {},
          responseBody: '',
        }
        exchanges.push(exchange)
        const upstream = request(
          { host: 'localhost', port: targetPort, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            exchange.status = answer.statusCode ?? 0
            exchange.responseHeaders = answer.headers
            res.writeHead(answer.statusCode ?? 502, answer.rawHeaders)
            answer.on('data', (chunk: Buffer) => {
              exchange.responseBody += chunk.toString()
              res.write(chunk)
            })
            answer.on('end', () => res.end())
            answer.on('error', () => res.destroy())
          },
        )
        upstream.on('error', () => {
          if (!res.headersSent) res.writeHead(502)
          res.end()
        })
        res.on('close', () => upstream.destroy()) // the client went away (an SSE stream closed): let go upstream too
        req.on('data', (chunk: Buffer) => {
          exchange.requestBody += chunk.toString()
          upstream.write(chunk)
        })
        req.on('end', () => upstream.end())
      })
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(listenPort, 'localhost', () => resolve())
      })
      servers.push(server)
    },
    async close() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections()
              server.close(() => resolve())
            }),
        ),
      )
    },
  }
}

/** A port the OS considers free right now (taken by nothing once this returns). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, 'localhost', () => resolve()))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
