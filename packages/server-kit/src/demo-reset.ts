import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { TemporarilyUnavailableError } from '@ema/tokens'
import type { Logger } from './logger.ts'

/** The demo reset's path, below every role's root. */
export const DEMO_RESET_PATH = '/demo/reset'

/** What a role's config holds when `DEMO_RESET=true`: the shared demo secret. Undefined when off. */
export interface DemoResetConfig {
  secret: string
}

/**
 * Reads `DEMO_RESET` and `DEMO_RESET_SECRET` (called by a role's config.ts with its env). Off unless
 * `DEMO_RESET=true`; on, the secret is required (at least 16 characters), so the endpoint is never open.
 * @throws {TypeError} when DEMO_RESET is true and the secret is missing or short.
 */
export function readDemoReset(env: Record<string, string | undefined>): DemoResetConfig | undefined {
  if (env.DEMO_RESET !== 'true') return undefined
  const secret = env.DEMO_RESET_SECRET ?? ''
  if (secret.length < 16)
    throw new TypeError('DEMO_RESET=true needs DEMO_RESET_SECRET (at least 16 characters): the reset is never open')
  return { secret }
}

export interface DemoResetRoutesOptions {
  /** Undefined: the reset is off and `POST /demo/reset` answers 404. */
  config: DemoResetConfig | undefined
  /** Puts this role back to the demo's start; returns what it did, in words (shown by `npm run demo:reset`). */
  reset: () => Promise<string[]> | string[]
  log?: Logger
}

/**
 * `POST /demo/reset` (demo only, decision: docs/walkthrough.md "Reset"): puts the role back to the
 * demo's start without a restart. Off → 404; on, `Authorization: Bearer <DEMO_RESET_SECRET>` is
 * required (401 otherwise, compared in constant time); another method → 405. A connect-style
 * middleware: mount it first; every other request passes through.
 */
export function demoResetRoutes(
  options: DemoResetRoutesOptions,
): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const answer = (res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) => {
    res.statusCode = status
    res.setHeader('content-type', 'application/json; charset=utf-8')
    res.setHeader('cache-control', 'no-store')
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
    res.end(JSON.stringify(body))
  }
  const expected = options.config === undefined ? undefined : digest(options.config.secret)
  if (expected !== undefined)
    options.log?.warn(
      `!!! DEMO_RESET is ON: POST ${DEMO_RESET_PATH} (with DEMO_RESET_SECRET) puts this role back to the demo's start. Demos only, never a real deployment !!!`,
    )
  return (req, res, next) => {
    const path = (req.url ?? '').split('?')[0]
    if (path !== DEMO_RESET_PATH) {
      next()
      return
    }
    if (expected === undefined) {
      answer(res, 404, {
        error: 'not_found',
        error_description:
          'the demo reset is off; start this role with DEMO_RESET=true and DEMO_RESET_SECRET to use it',
      })
      return
    }
    if (req.method !== 'POST') {
      answer(res, 405, { error: 'invalid_request', error_description: 'use POST' }, { allow: 'POST' })
      return
    }
    const header = req.headers.authorization ?? ''
    const given = /^Bearer (.+)$/i.exec(header)?.[1]
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      options.log?.warn('demo reset refused: wrong or missing secret')
      answer(
        res,
        401,
        {
          error: 'invalid_token',
          error_description: 'send Authorization: Bearer <DEMO_RESET_SECRET>, the secret this role was started with',
        },
        { 'www-authenticate': 'Bearer realm="demo-reset"' },
      )
      return
    }
    Promise.resolve()
      .then(() => options.reset())
      .then(
        (done) => {
          options.log?.warn('DEMO RESET: back to the demo start', { done: done.join('; ') })
          answer(res, 200, { reset: done })
        },
        (error: unknown) => {
          options.log?.error('demo reset failed', { error: error instanceof Error ? error : String(error) })
          // A shared store that cannot answer (decision 0040) is the 503 every other request gets.
          if (error instanceof TemporarilyUnavailableError)
            answer(res, 503, { error: error.error, error_description: error.description }, { 'retry-after': '1' })
          else answer(res, 500, { error: 'server_error', error_description: 'the reset failed; see this role’s log' })
        },
      )
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}
