import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWKSCacheInput,
  jwksCache,
  type JWTVerifyGetKey,
} from 'jose'

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
   * Milliseconds after its fetch that the last key set fetched successfully may still be used while
   * the JWKS endpoint cannot give one (down, slow, answering garbage). Default 3600000 (one hour);
   * 0 turns it off. A `kid` that set does not hold stays "unavailable", never "invalid".
   */
  staleIfErrorMs?: number
  /** Told once per outage when the last good key set starts being used, with the failure and its age. */
  onStaleKeys?: (cause: unknown, ageMs: number) => void
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
  const staleIfErrorMs = options.staleIfErrorMs ?? 3_600_000
  if (!Number.isFinite(staleIfErrorMs) || staleIfErrorMs < 0)
    throw new TypeError('staleIfErrorMs must be a finite number of milliseconds, 0 or more')
  const cooldownMs = options.cooldownMs ?? 30_000
  // jose records here every key set it fetched successfully, and when (`uat`): the fallback is that
  // set, never one older, so a key jose has already seen removed is never used again.
  const cache: { jwks?: JSONWebKeySet; uat?: number } = {}
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: options.timeoutMs ?? 5000,
    cooldownDuration: cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
    [jwksCache]: cache as JWKSCacheInput,
  })
  let fallback: { uat: number; keys: JWTVerifyGetKey } | undefined
  /** While set, the endpoint is known to be failing: requests use the last good set without a fetch until `retryAt`. */
  let outage: { cause: unknown; retryAt: number } | undefined

  const lastGood = (): { keys: JWTVerifyGetKey; ageMs: number } | undefined => {
    if (cache.uat === undefined || cache.jwks === undefined || staleIfErrorMs === 0) return undefined
    const ageMs = Date.now() - cache.uat
    if (ageMs > staleIfErrorMs) return undefined
    if (fallback?.uat !== cache.uat) fallback = { uat: cache.uat, keys: createLocalJWKSet(cache.jwks) }
    return { keys: fallback.keys, ageMs }
  }
  const fromLastGood = async (
    header: Parameters<JWTVerifyGetKey>[0],
    token: Parameters<JWTVerifyGetKey>[1],
    cause: unknown,
  ) => {
    const good = lastGood()
    if (good === undefined) throw cause
    try {
      return { key: await good.keys(header, token), ageMs: good.ageMs }
    } catch {
      throw cause // e.g. a kid the last good set lacks (a rotation we cannot see): still "unavailable"
    }
  }

  return async (header, token) => {
    // During a known outage, do not make every request wait for the endpoint's timeout: try it again
    // once per cooldown, and answer from the last good set meanwhile.
    if (outage !== undefined && Date.now() < outage.retryAt)
      return (await fromLastGood(header, token, outage.cause)).key
    try {
      const key = await remote(header, token)
      outage = undefined
      return key
    } catch (error) {
      // Only an outage falls back; a bad token stays a bad token. Any other failure (a private key
      // published, a malformed member) comes from the very set the fallback would use.
      if (!isKeySetOutage(error)) throw error
      const { key, ageMs } = await fromLastGood(header, token, error)
      if (outage === undefined) {
        try {
          options.onStaleKeys?.(error, ageMs)
        } catch {
          // a failing logger must not change the answer
        }
      }
      outage = { cause: error, retryAt: Date.now() + cooldownMs }
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
  return (
    cause instanceof joseErrors.JWKSTimeout ||
    cause instanceof joseErrors.JWKSInvalid ||
    (cause instanceof TypeError && /fetch/i.test(cause.message)) ||
    (cause instanceof joseErrors.JOSEError && cause.code === 'ERR_JOSE_GENERIC' && /response/i.test(cause.message))
  )
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
