import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'

/** One request the fake token endpoint received. */
export interface StsRequest {
  form: URLSearchParams
  authorization: string | undefined
  /** The client certificate's subject CN, when the request came over mTLS. */
  clientCertCn: string | undefined
}

export interface StsAnswer {
  status: number
  body: unknown
  /** Wait this long before answering. */
  delayMs?: number
}

export interface FakeSts {
  tokenUrl: string
  requests: StsRequest[]
  /** Every access_token it issued. */
  issued: string[]
  /** What it answers next; default: an RFC 8693 §2.2.1 success. */
  answer: (request: StsRequest) => StsAnswer
  close(): Promise<void>
}

/** A success as RFC 8693 §2.2.1 describes it, with a fresh opaque token. */
export function success(sts: FakeSts, overrides: Record<string, unknown> = {}): StsAnswer {
  const accessToken = `issued-${sts.issued.length + 1}-${crypto.randomUUID()}`
  sts.issued.push(accessToken)
  return {
    status: 200,
    body: {
      access_token: accessToken,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'tasks.read',
      ...overrides,
    },
  }
}

/**
 * A small RFC 8693 token endpoint on an ephemeral port, like the other tests' stand-in JWKS servers:
 * it records each request and answers what `answer` says. With `tls`, it is https and asks for a
 * client certificate signed by `tls.ca` (RFC 8705 §2.1).
 */
export async function startFakeSts(tls?: { cert: string; key: string; ca: string }): Promise<FakeSts> {
  const sts: FakeSts = {
    tokenUrl: '',
    requests: [],
    issued: [],
    answer: () => success(sts),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const socket = req.socket as Partial<TLSSocket>
      const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined
      const cn = peer?.subject?.CN
      const request: StsRequest = {
        form: new URLSearchParams(Buffer.concat(chunks).toString()),
        authorization: req.headers.authorization,
        clientCertCn: typeof cn === 'string' ? cn : undefined,
      }
      sts.requests.push(request)
      const answer = sts.answer(request)
      const reply = () => {
        if (res.destroyed) return
        const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
        res.writeHead(answer.status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body)
      }
      if (answer.delayMs === undefined) reply()
      else setTimeout(reply, answer.delayMs)
    })
  }
  const server: Server =
    tls === undefined
      ? createHttpServer(handle)
      : createHttpsServer(
          { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true },
          handle,
        )
  await new Promise<void>((resolve) => server.listen(0, 'localhost', () => resolve()))
  const { port } = server.address() as AddressInfo
  sts.tokenUrl = `${tls === undefined ? 'http' : 'https'}://localhost:${port}/token`
  return sts
}
