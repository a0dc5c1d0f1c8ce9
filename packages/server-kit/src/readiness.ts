export interface UrlReadinessOptions {
  /** Default `globalThis.fetch`. */
  fetch?: typeof fetch
  /** Most milliseconds one check's fetch may take. Default 2000. */
  timeoutMs?: number
  /** A success is trusted this long without fetching again, so `/readyz` stays cheap. Default 30000. */
  freshForMs?: number
  /**
   * While the URL fails, the last success still counts this long (the key set it served is the one a
   * verifier falls back to, decision 0014). Default 3600000; 0 → a failing URL is never ready.
   */
  staleIfErrorMs?: number
  /** The JSON body is what was expected (a JWK Set with keys, discovery naming the issuer …). */
  accept: (body: unknown) => boolean
  /** Default `Date.now`. */
  now?: () => number
}

/**
 * A readiness check for a dependency reached by URL (the authorization server's JWKS, the IdP's
 * discovery document): resolves when a GET answered 2xx with an accepted JSON body recently, or the
 * last such answer is younger than `staleIfErrorMs`; rejects otherwise. Concurrent checks share one
 * fetch. Meant for `healthRoutes({ ready })`.
 */
export function urlReadiness(url: string, options: UrlReadinessOptions): () => Promise<void> {
  const fetchFn = options.fetch ?? globalThis.fetch
  const timeoutMs = options.timeoutMs ?? 2000
  const freshForMs = options.freshForMs ?? 30_000
  const staleIfErrorMs = options.staleIfErrorMs ?? 3_600_000
  const now = options.now ?? Date.now
  let lastSuccess: number | undefined
  let inFlight: Promise<void> | undefined

  const probe = async (): Promise<void> => {
    const response = await fetchFn(url, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    })
    if (!response.ok) throw new Error(`${url} answered ${response.status}`)
    const body: unknown = await response.json()
    if (!options.accept(body)) throw new Error(`${url} answered with an unexpected document`)
    lastSuccess = now()
  }

  return async () => {
    if (lastSuccess !== undefined && now() - lastSuccess < freshForMs) return
    inFlight ??= probe().finally(() => {
      inFlight = undefined
    })
    try {
      await inFlight
    } catch (error) {
      if (lastSuccess !== undefined && now() - lastSuccess < staleIfErrorMs) return
      throw error
    }
  }
}

/** `accept` for a JWK Set: an object whose `keys` is a non-empty array. */
export function isNonEmptyJwks(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false
  const keys = (body as { keys?: unknown }).keys
  return Array.isArray(keys) && keys.length > 0
}
