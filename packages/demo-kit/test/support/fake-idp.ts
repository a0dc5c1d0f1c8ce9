import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeIdp {
  url: string
  /** Every request: method, path with query, Cookie header, body, Authorization header. */
  requests: {
    method: string
    url: string
    cookie: string | undefined
    body: string
    authorization: string | undefined
  }[]
  close(): Promise<void>
}

export type Handler = (request: IncomingMessage & { body: string }, response: ServerResponse, base: string) => void

/** A tiny node:http server on port 0 that answers with `handler`. */
export async function fakeIdp(handler: Handler): Promise<FakeIdp> {
  const requests: FakeIdp['requests'] = []
  let base = ''
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      requests.push({
        method: request.method ?? '',
        url: request.url ?? '',
        cookie: request.headers.cookie,
        body,
        authorization: request.headers.authorization,
      })
      handler(Object.assign(request, { body }), response, base)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: base,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
