import type { SignInRequest, SignInResponse } from './sign-in-at-idp.ts'

/** A sign-in at the IdP started for one interaction, and (once the IdP sent the browser back) its response. */
export interface PendingSignIn {
  /** The interaction (oidc-provider's `uid`) the sign-in is for. */
  uid: string
  request: SignInRequest
  response?: SignInResponse
  /** Epoch milliseconds; the interaction's own expiry. */
  expiresAt: number
}

/**
 * Where sign-ins at the IdP wait between the redirect to the IdP and the return (decision 0050).
 * Each is found by its `state` when the IdP's response arrives, and taken once, by its interaction,
 * when the browser that holds the interaction cookie comes back. Entries live until the interaction
 * expires. A deployment with several instances needs a shared implementation (as for the replay store).
 */
export interface PendingSignInStore {
  /** Remembers a new sign-in for `uid`, replacing an earlier one for the same interaction. */
  begin(pending: PendingSignIn): Promise<void>
  /** Records the IdP's response under its `state`; the interaction's uid, or undefined for an unknown or expired state. */
  returned(state: string, response: SignInResponse): Promise<string | undefined>
  /** The sign-in of `uid` with its response, removed; undefined if there is none or the IdP has not answered yet. */
  take(uid: string): Promise<PendingSignIn | undefined>
}

export interface InMemoryPendingSignInsOptions {
  now?: () => number
  /** Refuse new sign-ins beyond this many live ones (a memory bound against floods). Default 10 000. */
  maxEntries?: number
}

/** The in-memory {@link PendingSignInStore}: one process. Expired entries are swept as new ones arrive. */
export class InMemoryPendingSignIns implements PendingSignInStore {
  readonly #byUid = new Map<string, PendingSignIn>()
  readonly #uidByState = new Map<string, string>()
  readonly #now: () => number
  readonly #maxEntries: number

  constructor(options: InMemoryPendingSignInsOptions = {}) {
    this.#now = options.now ?? Date.now
    this.#maxEntries = options.maxEntries ?? 10_000
  }

  async begin(pending: PendingSignIn): Promise<void> {
    this.#sweep()
    const earlier = this.#byUid.get(pending.uid)
    if (earlier !== undefined) this.#uidByState.delete(earlier.request.state)
    if (earlier === undefined && this.#byUid.size >= this.#maxEntries) throw new Error('too many sign-ins in progress')
    this.#byUid.set(pending.uid, pending)
    this.#uidByState.set(pending.request.state, pending.uid)
  }

  async returned(state: string, response: SignInResponse): Promise<string | undefined> {
    const uid = this.#uidByState.get(state)
    const pending = uid === undefined ? undefined : this.#live(uid)
    if (pending === undefined) return undefined
    this.#uidByState.delete(state) // one response per sign-in
    pending.response = response
    return pending.uid
  }

  async take(uid: string): Promise<PendingSignIn | undefined> {
    const pending = this.#live(uid)
    if (pending?.response === undefined) return undefined
    this.#byUid.delete(uid)
    return pending
  }

  #live(uid: string): PendingSignIn | undefined {
    const pending = this.#byUid.get(uid)
    if (pending !== undefined && pending.expiresAt <= this.#now()) {
      this.#byUid.delete(uid)
      this.#uidByState.delete(pending.request.state)
      return undefined
    }
    return pending
  }

  #sweep(): void {
    const now = this.#now()
    for (const [uid, pending] of this.#byUid) {
      if (pending.expiresAt > now) continue
      this.#byUid.delete(uid)
      this.#uidByState.delete(pending.request.state)
    }
  }
}
