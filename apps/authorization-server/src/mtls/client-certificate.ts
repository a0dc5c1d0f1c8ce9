import { createHash, type X509Certificate } from 'node:crypto'
import { TLSSocket } from 'node:tls'
import type { IncomingMessage } from 'node:http'

/** What a certificate check reads of the request: the Koa context's Node request. */
export interface RequestWithSocket {
  req: IncomingMessage
}

/**
 * RFC 8705 §2: the certificate the client presented in the TLS handshake of this request's
 * connection, or `undefined` (a plain-HTTP request, or a TLS client that presented none).
 *
 * Read from the TLS socket itself, never from a header: this server terminates TLS, so no proxy can
 * have forwarded (or forged) it.
 *
 * Does NOT say whether the certificate chains to a trusted CA: see `socketAuthorization`.
 */
export function clientCertificate(ctx: RequestWithSocket): X509Certificate | undefined {
  const { socket } = ctx.req
  if (!(socket instanceof TLSSocket)) return undefined
  return socket.getPeerX509Certificate()
}

/** How the TLS layer judged the client certificate: chained to a configured CA, or the OpenSSL reason why not. */
export function socketAuthorization(
  ctx: RequestWithSocket,
): { authorized: true } | { authorized: false; reason: string } {
  const { socket } = ctx.req
  if (!(socket instanceof TLSSocket)) return { authorized: false, reason: 'NO_TLS' }
  if (socket.authorized) return { authorized: true }
  const error: unknown = socket.authorizationError
  const reason =
    typeof error === 'string'
      ? error
      : error instanceof Error
        ? ((error as NodeJS.ErrnoException).code ?? error.message)
        : 'UNKNOWN'
  return { authorized: false, reason }
}

/** RFC 8705 §3.1: `x5t#S256`, the base64url SHA-256 of the certificate's DER encoding. */
export function certificateThumbprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url')
}
