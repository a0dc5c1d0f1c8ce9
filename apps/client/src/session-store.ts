import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import type { McpConnection, PendingSignIn, Step } from '@ema/id-jag-client'
import { Timeline } from './timeline.ts'

/** The signed-in user, from the ID token (and userinfo when the ID token lacks the profile claims). */
export interface SignedInUser {
  sub: string
  name: string | undefined
  username: string | undefined
}

/** What one browser's session holds. Everything stays on the server: the browser only has the id (CL-34). */
export interface Session {
  id: string
  /** Between the redirect to the IdP and the callback (CL-14, CL-15). */
  pendingSignIn?: PendingSignIn
  /**
   * Set while the user is sent back to sign in for a step-up (IDP-56): after the callback, the chain
   * runs again once; `retried` keeps a second refusal from looping.
   */
  stepUp?: { retried: boolean }
  user?: SignedInUser
  /** The ID token: the subject token of the exchange (CL-24). Never sent to the browser or the MCP server (CL-43). */
  idToken?: string
  steps: Step[]
  /** The sequence diagram of this session: the current run's arrows, streamed to the page. */
  timeline: Timeline
  /** When the sign-in finished: the arrows before it are the sign-in leg, kept when the chain runs again. */
  signedInAt?: number
  /** The authorization request the browser was sent to (redacted), and when: the sign-in leg's middle arrow. */
  pendingAuthorization?: { url: string; sentAt: number }
  /** What the page starts by itself after the sign-in (the "Break it" panel's carol). */
  autoRun?: 'connect'
  /** The "Break it" attack the current error answers, if any. */
  attack?: string
  /** A refusal: its OAuth error code, plain words, and the role that refused, when one did. */
  error?: { code: string; message: string; role?: string | undefined }
  /** Between the redirect to the MCP authorization server and `/classic/callback` (the classic flow, no EMA). */
  pendingClassic?: { state: string; codeVerifier: string; issuer: string; tokenEndpoint: string }
  /** The classic authorization request the browser was sent to (redacted), and when: its consent arrow. */
  pendingConsent?: { url: string; sentAt: number }
  /** How the current MCP connection was authorized: enterprise-managed (ID-JAG) or the classic consent flow. */
  connectedVia?: 'ema' | 'classic'
  /** The connected MCP client (CL-12) and its tools. */
  mcp?: McpConnection
  tools?: Tool[]
  grantedScope?: string | undefined
  toolResult?: { tool: string; text: string }
  /** Serialises chain runs per session. */
  busy?: boolean
}

export const SESSION_COOKIE = 'acme_agent_session'

/**
 * In-memory server-side sessions keyed by a random id; the cookie carries `<id>.<hmac>`.
 * Sessions die with the process: fine for a demo and a starter; swap for a shared store to scale out.
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>()
  readonly #secret: string

  constructor(secret: string) {
    this.#secret = secret
  }

  /** The session named by a cookie value, if the signature is valid and it still exists. */
  fromCookie(cookieValue: string | undefined): Session | undefined {
    if (cookieValue === undefined) return undefined
    const dot = cookieValue.lastIndexOf('.')
    if (dot <= 0) return undefined
    const id = cookieValue.slice(0, dot)
    const expected = Buffer.from(this.#sign(id))
    const given = Buffer.from(cookieValue.slice(dot + 1))
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined
    return this.#sessions.get(id)
  }

  create(): Session {
    const session: Session = { id: randomBytes(24).toString('base64url'), steps: [], timeline: new Timeline() }
    this.#sessions.set(session.id, session)
    return session
  }

  cookieValue(session: Session): string {
    return `${session.id}.${this.#sign(session.id)}`
  }

  async destroy(session: Session): Promise<void> {
    this.#sessions.delete(session.id)
    await session.mcp?.close().catch(() => {})
  }

  /** Ends every session (the demo reset): their pages are told, their MCP connections closed. Returns how many. */
  async clear(): Promise<number> {
    const all = [...this.#sessions.values()]
    for (const session of all) session.timeline.reset()
    await Promise.all(all.map((session) => this.destroy(session)))
    return all.length
  }

  #sign(id: string): string {
    return createHmac('sha256', this.#secret).update(id).digest('base64url')
  }
}

/** Reads one cookie from a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1) continue
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim())
  }
  return undefined
}
