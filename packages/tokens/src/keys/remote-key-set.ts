import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose'

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
  /**
   * Milliseconds after it was fetched that the last good key set may still be used while the JWKS
   * endpoint is unreachable (down, slow, answering garbage). Default 3600000 (one hour); 0 turns it
   * off. A `kid` the last good set does not hold is still "unavailable", never "invalid".
   */
  staleIfErrorMs?: number
  /** Told once per outage when the last good key set starts being used, with the fetch failure. */
  onStaleKeys?: (cause: unknown, ageMs: number) => void
  /** The clock, in epoch ms (tests). Default `Date.now`. */
  now?: () => number
}

/**
 * A cached, rate-limited view of a remote JWKS. Keys are selected by `kid` (AS-15); an unknown
 * `kid` causes at most one refetch per cooldown. The set is created once per issuer, not per request.
 * During an outage of the JWKS endpoint the last good set keeps serving for `staleIfErrorMs`
 * (decision 0014), so a short outage does not refuse every token.
 */
export function remoteKeySet(jwksUri: string, options: RemoteKeySetOptions = {}): JWTVerifyGetKey {
  const url = new URL(jwksUri)
  assertTrustworthyUrl(url, options.allowInsecureHttp === true)
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: options.timeoutMs ?? 5000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
  })
  const staleIfErrorMs = options.staleIfErrorMs ?? 3_600_000
  const now = options.now ?? Date.now
  let lastGood: { jwks: JSONWebKeySet; fetchedAt: number; keys: JWTVerifyGetKey } | undefined
  let stale = false
  return async (header, token) => {
    try {
      const key = await remote(header, token)
      const jwks = remote.jwks()
      if (jwks !== undefined && jwks !== lastGood?.jwks) lastGood = { jwks, fetchedAt: now(), keys: createLocalJWKSet(jwks) }
      stale = false
      return key
    } catch (error) {
      // Only an outage falls back, and only to a set young enough; a bad token stays a bad token.
      const age = lastGood === undefined ? Infinity : now() - lastGood.fetchedAt
      if (!isKeySetOutage(error) || lastGood === undefined || age > staleIfErrorMs) throw error
      let key: Awaited<ReturnType<JWTVerifyGetKey>>
      try {
        key = await lastGood.keys(header, token)
      } catch {
        throw error // e.g. a kid the old set lacks (a rotation we cannot see): still "unavailable"
      }
      if (!stale) options.onStaleKeys?.(error, age)
      stale = true
      return key
    }
  }
}

/**
 * The JWKS endpoint could not give a usable key set: a timeout, a network failure, a non-200
 * answer, or a body that is not a JWK Set. Such a failure is "try again later" (503), never a
 * verdict on the token.
 */
export function isKeySetOutage(cause: unknown): boolean {
  return cause instanceof joseErrors.JWKSTimeout
    || cause instanceof joseErrors.JWKSInvalid
    || (cause instanceof TypeError && /fetch/i.test(cause.message))
    || (cause instanceof joseErrors.JOSEError && cause.code === 'ERR_JOSE_GENERIC' && /response/i.test(cause.message))
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
