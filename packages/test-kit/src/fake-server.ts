import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'

/** What a fake server received. */
export interface ReceivedRequest {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  /** Form or JSON body. */
  body: Record<string, unknown>
}

export interface FakeServer {
  app: express.Express
  received: ReceivedRequest[]
  server: Server
  /** `http://localhost:<port>`. */
  url: string
  close(): Promise<void>
}

/**
 * Starts an express app on an ephemeral port and records every request. Routes are added by the
 * caller after start, so they can contain the server's own URL.
 */
export async function startFakeServer(): Promise<FakeServer> {
  const app = express()
  const received: ReceivedRequest[] = []
  app.use(express.urlencoded({ extended: false }))
  app.use(express.json())
  app.use((req, _res, next) => {
    received.push({
      method: req.method,
      path: req.path,
      headers: req.headers,
      body: (req.body ?? {}) as Record<string, unknown>,
    })
    next()
  })
  const server = createServer(app)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, 'localhost', () => resolve())
  })
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return { app, received, server, url: `http://localhost:${(server.address() as AddressInfo).port}`, close }
}

/** Decodes an HTTP Basic Authorization header into its form-decoded id and secret. */
export function decodeBasic(header: string | string[] | undefined): { id: string; secret: string } | undefined {
  if (typeof header !== 'string' || !header.startsWith('Basic ')) return undefined
  const decoded = Buffer.from(header.slice(6), 'base64').toString()
  const colon = decoded.indexOf(':')
  const unform = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '))
  return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) }
}

/** A structurally valid (unsigned) JWT for display tests: the client never verifies these. */
export function fakeJwt(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part(header)}.${part(claims)}.c2lnbmF0dXJl`
}
