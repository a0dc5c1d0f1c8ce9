import { createServer, type RequestListener, type Server } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'

export interface Listening {
  server: Server
  port: number
  /** `http://localhost:<port>` — the form issuers use here (never 127.0.0.1). */
  url: string
  close(): Promise<void>
}

export interface ListenOptions {
  /** 0 picks a free port (tests). */
  port: number
  host?: string
  /** Most milliseconds a client may take to send request headers (slow-loris bound). Default 10000. */
  headersTimeoutMs?: number
  /** Most milliseconds for a whole request. Default 30000. */
  requestTimeoutMs?: number
  /**
   * How often Node checks the two timeouts above. Node's default (30 s) lets a slow-loris client hold
   * a socket up to 30 s past `headersTimeoutMs`; the default here is min(1000, headersTimeoutMs).
   */
  connectionsCheckingIntervalMs?: number
}

/**
 * Starts an HTTP server before the handler exists, so that a test can learn the port first and then
 * build an app whose issuer contains it: `const l = await listen({ port: 0 }); l.server.on('request', createApp({ issuer: l.url }))`.
 */
export async function listen(options: ListenOptions, handler?: RequestListener): Promise<Listening> {
  const server = createServer(slowClientBounds(options), handler)
  return startListening(server, options, 'http')
}

/**
 * SEC-07: bounded slow clients. Node enforces both timeouts only on its connections-checking interval,
 * which is fixed at creation, so all three are passed to `createServer` rather than set afterwards.
 * Shared by `listen` and `listenTls`.
 */
export function slowClientBounds(
  options: Pick<ListenOptions, 'headersTimeoutMs' | 'requestTimeoutMs' | 'connectionsCheckingIntervalMs'>,
): {
  headersTimeout: number
  requestTimeout: number
  connectionsCheckingInterval: number
} {
  const headersTimeout = options.headersTimeoutMs ?? 10_000
  return {
    headersTimeout,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    connectionsCheckingInterval: options.connectionsCheckingIntervalMs ?? Math.min(1000, headersTimeout),
  }
}

/** Listens on `options.port` (0: a free one) and answers with the server, its port, URL and a close(). */
export async function startListening<S extends Server | HttpsServer>(
  server: S,
  options: Pick<ListenOptions, 'port' | 'host'>,
  scheme: 'http' | 'https',
): Promise<{ server: S; port: number; url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? 'localhost', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    server,
    port,
    url: `${scheme}://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
