import { InsufficientScopeError } from '@ema/tokens'
import type { RequestHandler } from 'express'
import type { DelegatedRequest } from './delegated-access-token.ts'

/**
 * OBO-18: the route's scope must be in the verified token (RFC 6750 §3.1 `insufficient_scope`, 403,
 * naming the scope in the challenge). Scopes are flat: none implies another.
 */
export function requireScope(scope: string): RequestHandler {
  return (req: DelegatedRequest, _res, next) => {
    const scopes = req.delegation?.scopes ?? []
    if (!scopes.includes(scope)) {
      throw new InsufficientScopeError(
        `this request needs the scope ${scope}; the access token carries ${scopes.length === 0 ? 'no scope' : scopes.join(' ')}`,
        [scope],
      )
    }
    next()
  }
}
