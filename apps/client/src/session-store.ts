import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import type { Step } from '@ema/chain-steps'
import type { McpConnection, PendingSignIn } from '@ema/id-jag-client'
import type { RedisClient, RedisConnection } from '@ema/redis-store'
import { webSessionKey } from '@ema/redis-store/keys'
import { Timeline, type TimelineState } from './timeline.ts'

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

/** Where sessions are shared between instances (REDIS_URL, decision 0090). */
export interface SharedSessionsOptions {
  connection: RedisConnection
  /** The deployment's key prefix (`REDIS_KEY_PREFIX`, default `ema:client:<CLIENT_URL>`). */
  prefix: string
  /** A session unused for this long ends (its key expires; each request renews it). Default 3600. */
  idleSeconds?: number
}

/** What is not kept in Redis: the live MCP connection and the chain-run flag, which are this process's. */
const LIVE_FIELDS = new Set(['id', 'mcp', 'busy', 'timeline'])

/** A cached live session, the snapshot it was last loaded from or saved as, and when it was last used. */
interface Held {
  session: Session
  snapshot: string
  usedAt: number
}

/**
 * Server-side sessions keyed by a random id; the cookie carries `<id>.<hmac>` (CL-34: the browser
 * holds nothing else).
 *
 * Without `shared`, sessions live in this process and die with it. With `shared` (REDIS_URL,
 * decision 0090), every session's state (the sign-in in progress with its `state`, `nonce` and PKCE
 * verifier, the signed-in user and ID token, the steps, the sequence diagram, the error shown) is a
 * JSON value at `<prefix>:web-session:<sha256(id)>` that expires after `idleSeconds` without use: any
 * instance can finish a sign-in another started, and a restart signs no one out. What stays in the
 * process that made it: the live MCP connection (its SDK client, with the access token it holds) and
 * the page's event streams. An instance that does not hold the connection shows the page without tools,
 * and the chain runs again there; so run the client with sticky sessions on its cookie to keep them.
 * These values are credentials: they are never logged, and the keys name only a hash of the id.
 *
 * With `shared`, `fromCookie`, `save`, `destroy` and `clear` reject with StoreUnavailableError when
 * Redis cannot answer in time.
 */
export class SessionStore {
  readonly #held = new Map<string, Held>()
  readonly #ended = new WeakSet<Session>()
  readonly #secret: string
  readonly #shared: SharedSessionsOptions | undefined
  readonly #idleMs: number

  constructor(secret: string, options: { shared?: SharedSessionsOptions } = {}) {
    this.#secret = secret
    this.#shared = options.shared
    this.#idleMs = (options.shared?.idleSeconds ?? 3600) * 1000
  }

  /** Whether sessions are shared between instances (and must be saved after each request). */
  get shared(): boolean {
    return this.#shared !== undefined
  }

  /** The session named by a cookie value, if the signature is valid and it still exists. */
  async fromCookie(cookieValue: string | undefined): Promise<Session | undefined> {
    if (cookieValue === undefined) return undefined
    const dot = cookieValue.lastIndexOf('.')
    if (dot <= 0) return undefined
    const id = cookieValue.slice(0, dot)
    const expected = Buffer.from(this.#sign(id))
    const given = Buffer.from(cookieValue.slice(dot + 1))
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined
    const shared = this.#shared
    if (shared === undefined) return this.#held.get(id)?.session
    const snapshot = await shared.connection.run((redis) =>
      redis.getEx(webSessionKey(shared.prefix, id), { type: 'PX', value: this.#idleMs }),
    )
    const held = this.#held.get(id)
    if (snapshot === null) {
      // Ended elsewhere (logout, reset) or expired: so it is here.
      if (held !== undefined) await this.#drop(held.session)
      return undefined
    }
    if (held !== undefined && held.snapshot === snapshot) {
      held.usedAt = Date.now()
      return held.session
    }
    const session = held?.session ?? { id, steps: [], timeline: new Timeline() }
    applySnapshot(session, snapshot) // written by another instance since this one last saw it
    this.#held.set(id, { session, snapshot, usedAt: Date.now() })
    return session
  }

  create(): Session {
    this.#forgetIdle()
    const session: Session = { id: randomBytes(24).toString('base64url'), steps: [], timeline: new Timeline() }
    this.#held.set(session.id, { session, snapshot: '', usedAt: Date.now() })
    return session
  }

  cookieValue(session: Session): string {
    return `${session.id}.${this.#sign(session.id)}`
  }

  /** With `shared`: writes the session's state when it changed (and not after it ended). In the process: nothing to do. */
  async save(session: Session): Promise<void> {
    const shared = this.#shared
    if (shared === undefined || this.#ended.has(session)) return
    const snapshot = snapshotOf(session)
    const held = this.#held.get(session.id)
    if (held?.snapshot === snapshot) return
    await shared.connection.run((redis) =>
      redis.set(webSessionKey(shared.prefix, session.id), snapshot, {
        expiration: { type: 'PX', value: this.#idleMs },
      }),
    )
    this.#held.set(session.id, { session, snapshot, usedAt: Date.now() })
  }

  async destroy(session: Session): Promise<void> {
    const shared = this.#shared
    if (shared !== undefined)
      await shared.connection.run((redis) => redis.del(webSessionKey(shared.prefix, session.id)))
    await this.#drop(session)
  }

  /** Ends every session (the demo reset), at every instance with `shared`: their pages here are told, their MCP connections closed. Returns how many. */
  async clear(): Promise<number> {
    const all = [...this.#held.values()].map((held) => held.session)
    let count = all.length
    const shared = this.#shared
    if (shared !== undefined) count = await shared.connection.run((redis) => deleteAll(redis, shared.prefix))
    for (const session of all) session.timeline.reset()
    await Promise.all(all.map((session) => this.#drop(session)))
    return count
  }

  async #drop(session: Session): Promise<void> {
    this.#ended.add(session)
    if (this.#held.get(session.id)?.session === session) this.#held.delete(session.id)
    await session.mcp?.close().catch(() => {})
  }

  /** With `shared`, the live parts of sessions unused for the idle time are let go (their state is in Redis, or expired). */
  #forgetIdle(): void {
    if (this.#shared === undefined) return
    const before = Date.now() - this.#idleMs
    for (const held of [...this.#held.values()]) if (held.usedAt < before) void this.#drop(held.session)
  }

  #sign(id: string): string {
    return createHmac('sha256', this.#secret).update(id).digest('base64url')
  }
}

/** The session's state as JSON: everything but its live parts, with the timeline as data. */
function snapshotOf(session: Session): string {
  const state: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(session)) if (!LIVE_FIELDS.has(key)) state[key] = value
  return JSON.stringify({ ...state, timeline: session.timeline.state() })
}

/** Makes `session` what `snapshot` says, keeping its id and live parts (the MCP connection, the page's listeners). */
function applySnapshot(session: Session, snapshot: string): void {
  const { timeline, ...state } = JSON.parse(snapshot) as Record<string, unknown> & { timeline: TimelineState }
  for (const key of Object.keys(session))
    if (!LIVE_FIELDS.has(key)) delete (session as unknown as Record<string, unknown>)[key]
  Object.assign(session, state, { id: session.id })
  session.timeline.restore(timeline)
}

/** Deletes every web session of the deployment (SCAN, not KEYS: Redis keeps answering others meanwhile). */
async function deleteAll(redis: RedisClient, prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}:web-session:*`
  let deleted = 0
  for await (const keys of redis.scanIterator({ MATCH: pattern, COUNT: 500 })) {
    if (keys.length > 0) deleted += await redis.del(keys)
  }
  return deleted
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
