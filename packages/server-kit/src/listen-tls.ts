import { createServer, type Server } from 'node:https'
import type { RequestListener } from 'node:http'
import { slowClientBounds, startListening } from './listen.ts'

export interface ListenTlsOptions {
  /** 0 picks a free port (tests). */
  port: number
  host?: string
  /** PEM: this server's certificate (chain) and private key. */
  cert: string
  key: string
  /**
   * PEM: the CA(s) client certificates must chain to. When given, every handshake asks for a client
   * certificate (RFC 8705 §2) but does not fail without one or with an untrusted one: the handshake
   * completes and the application answers (a JSON 401, not a TLS alert), reading the verdict from the
   * socket (`authorized`, `authorizationError`).
   */
  clientCa?: string
  /** Most milliseconds a client may take to send request headers (slow-loris bound). Default 10000. */
  headersTimeoutMs?: number
  /** Most milliseconds for a whole request. Default 30000. */
  requestTimeoutMs?: number
}

export interface ListeningTls {
  server: Server
  port: number
  /** `https://localhost:<port>`. */
  url: string
  close(): Promise<void>
}

/**
 * Starts an HTTPS server (TLS 1.2 or later) like `listen` starts an HTTP one, with the same
 * slow-client bounds (SEC-07). Used for the authorization server's mTLS endpoint alias (RFC 8705 §5).
 */
export async function listenTls(options: ListenTlsOptions, handler?: RequestListener): Promise<ListeningTls> {
  const tls = {
    cert: options.cert,
    key: options.key,
    minVersion: 'TLSv1.2' as const,
    ...(options.clientCa === undefined ? {} : { ca: options.clientCa, requestCert: true, rejectUnauthorized: false }),
  }
  return startListening(createServer({ ...tls, ...slowClientBounds(options) }, handler), options, 'https')
}
