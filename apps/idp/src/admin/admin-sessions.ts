import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Request, Response } from 'express'

/** A signed-in administrator of the console. */
export interface AdminSession {
  username: string
  /** The synchronizer token every form of this session carries (CSRF). */
  csrfToken: string
  expiresAt: number
  /** A one-line confirmation shown once on the next page (never taken from the URL). */
  notice?: string | undefined
}

export interface AdminSessions {
  /** Starts a session for an administrator and sets its cookie. */
  start(res: Response, username: string): AdminSession
  /** The live session named by the request's cookie, if any. */
  find(req: Request): AdminSession | undefined
  /** Ends the request's session and clears its cookie. */
  end(req: Request, res: Response): void
}

export interface AdminSessionsOptions {
  now: () => Date
  /** Whether cookies get `Secure` (the issuer is https). */
  secure: boolean
  /** Session lifetime, default 30 minutes. */
  lifetimeSeconds?: number
}

/** The session cookie: HttpOnly, SameSite=Strict, path /admin, never readable by scripts or sent cross-site. */
const ADMIN_SESSION_COOKIE = 'acme_admin_session'
/** The login form's CSRF cookie (double submit: the form carries the same value). */
export const ADMIN_LOGIN_COOKIE = 'acme_admin_login'

/**
 * In-memory sessions of the admin console (a restart signs administrators out). The session id is
 * 256 random bits in a cookie; the CSRF token is a second, independent random value that only the
 * server-rendered forms carry.
 */
export function createAdminSessions(options: AdminSessionsOptions): AdminSessions {
  const sessions = new Map<string, AdminSession>()
  const lifetimeMs = (options.lifetimeSeconds ?? 1800) * 1000
  const prune = (at: number) => {
    for (const [id, session] of sessions) if (session.expiresAt <= at) sessions.delete(id)
  }
  return {
    start(res, username) {
      const now = options.now().getTime()
      prune(now)
      const id = randomToken()
      const session: AdminSession = { username, csrfToken: randomToken(), expiresAt: now + lifetimeMs }
      sessions.set(id, session)
      res.append(
        'set-cookie',
        cookie(ADMIN_SESSION_COOKIE, id, { secure: options.secure, maxAgeSeconds: lifetimeMs / 1000 }),
      )
      return session
    },
    find(req) {
      const id = readCookie(req, ADMIN_SESSION_COOKIE)
      if (id === undefined) return undefined
      const session = sessions.get(id)
      if (session === undefined) return undefined
      if (session.expiresAt <= options.now().getTime()) {
        sessions.delete(id)
        return undefined
      }
      return session
    },
    end(req, res) {
      const id = readCookie(req, ADMIN_SESSION_COOKIE)
      if (id !== undefined) sessions.delete(id)
      res.append('set-cookie', cookie(ADMIN_SESSION_COOKIE, '', { secure: options.secure, maxAgeSeconds: 0 }))
    },
  }
}

export function randomToken(): string {
  return randomBytes(32).toString('base64url')
}

/** A cookie for the admin console: HttpOnly, SameSite=Strict, Path=/admin, Secure over https. */
export function cookie(name: string, value: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  return `${name}=${value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(options.maxAgeSeconds)}${options.secure ? '; Secure' : ''}`
}

/** Reads one cookie of the request (the console's values are base64url, so no decoding is needed). */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return value.join('=')
  }
  return undefined
}

/** Compares two tokens in constant time; a missing one never matches. */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || a === '' || b === '') return false
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
