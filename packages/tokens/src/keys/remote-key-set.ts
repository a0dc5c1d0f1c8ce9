import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose'

export interface RemoteKeySetOptions {
  /**
   * Allows an `http:` JWKS URL on a loopback host (localhost, 127.0.0.0/8, [::1]). For local demos only:
   * AS-15 requires JWKS to be fetched over authenticated TLS.
   */
  allowInsecureHttp?: boolean
  /** Milliseconds to wait for the JWKS endpoint. Default 5000. */
  timeoutMs?: number
  /** Minimum milliseconds between refetches triggered by an unknown `kid`. Default 30000. */
  cooldownMs?: number
  /** Milliseconds a fetched key set stays fresh. Default 600000. */
  cacheMaxAgeMs?: number
}

/**
 * A cached, rate-limited view of a remote JWKS. Keys are selected by `kid` (AS-15); an unknown
 * `kid` causes at most one refetch per cooldown. The set is created once per issuer, not per request.
 */
export function remoteKeySet(jwksUri: string, options: RemoteKeySetOptions = {}): JWTVerifyGetKey {
  const url = new URL(jwksUri)
  assertTrustworthyUrl(url, options.allowInsecureHttp === true)
  return createRemoteJWKSet(url, {
    timeoutDuration: options.timeoutMs ?? 5000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
  })
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/

/** AS-15, SEC-01: JWKS and metadata over https, or plain http to loopback when explicitly allowed. */
export function assertTrustworthyUrl(url: URL, allowInsecureHttp: boolean): void {
  if (url.protocol === 'https:') return
  if (url.protocol === 'http:' && allowInsecureHttp && LOOPBACK.test(url.hostname)) return
  throw new TypeError(
    `${url.href} is not https; plain http is allowed only to a loopback host with allowInsecureHttp (local demos)`,
  )
}
