import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from './logger.ts'
import { describeCause } from './describe-cause.ts'

export interface HealthRoutesOptions {
  /**
   * Resolves when this instance can serve: its store answers and it holds the keys it needs.
   * Rejects (or throws) otherwise. Called on every `/readyz`, so keep it cheap (one PING). Absent →
   * always ready once listening.
   */
  ready?: () => Promise<void>
  /** True once shutdown began: `/readyz` then answers 503 so a load balancer stops sending traffic. */
  draining?: () => boolean
  log?: Logger
}

/** The paths, below the server's root. */
export const HEALTH_PATHS = { LIVE: '/healthz', READY: '/readyz' } as const

/**
 * `GET /healthz` (liveness: the process answers; 200 `{"status":"ok"}`) and `GET /readyz`
 * (readiness: `ready()` resolved; else 503 `{"status":"unavailable"}`). Both `no-store`; the reason a
 * check failed goes to the log (debug), never on the wire. A connect-style middleware: mount it first
 * (`app.use(healthRoutes(…))`); every other request passes through.
 */
export function healthRoutes(
  options: HealthRoutesOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const answer = (res: ServerResponse, status: number, body: object) => {
    res.statusCode = status
    res.setHeader('content-type', 'application/json')
    res.setHeader('cache-control', 'no-store')
    res.end(JSON.stringify(body))
  }
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next()
    const path = (req.url ?? '').split('?')[0]
    if (path !== HEALTH_PATHS.LIVE && path !== HEALTH_PATHS.READY) return next()
    if (path === HEALTH_PATHS.LIVE) return answer(res, 200, { status: 'ok' })
    if (options.draining?.() === true) return answer(res, 503, { status: 'draining' })
    Promise.resolve()
      .then(() => options.ready?.())
      .then(
        () => answer(res, 200, { status: 'ready' }),
        (error: unknown) => {
          options.log?.debug('not ready', { cause: describeCause(error) })
          answer(res, 503, { status: 'unavailable' })
        },
      )
  }
}
