import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { AccessTokenResponse } from '@ema/id-jag-client'

/**
 * What the agent keeps between runs, in one file readable only by its owner (mode 0600):
 * - the signed-in user and the IdP it signed in with;
 * - the IdP refresh token (CL-45: later runs get a fresh ID-JAG from it without a login);
 * - the ID token (the subject token while it has more than a minute left, CL-24);
 * - the last access token with its expiry, bound to its authorization server and resource (CL-43).
 *
 * These are credentials: a fork that ships the agent to people should keep them in the OS keychain
 * instead. Nothing here is ever printed in full (CL-34).
 */
export const AgentState = z.object({
  version: z.literal(1),
  idpIssuer: z.string(),
  /** The client the tokens were issued to; a state from another registration is not used. */
  clientId: z.string(),
  user: z.object({ sub: z.string(), name: z.string().optional(), username: z.string().optional() }),
  refreshToken: z.string().min(1).optional(),
  idToken: z.string().min(1).optional(),
  /** Epoch ms. */
  idTokenExpiresAt: z.number().optional(),
  accessToken: z
    .object({
      token: AccessTokenResponse,
      grantedScope: z.string().optional(),
      authorizationServer: z.string(),
      resource: z.string(),
      clientId: z.string(),
      expiresAt: z.number(),
    })
    .optional(),
})
export type AgentState = z.infer<typeof AgentState>

/** Reads the state file; undefined when there is none. Throws when it exists but is not a state. */
export async function readAgentState(file: string): Promise<AgentState | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new Error(`${file} is not JSON; delete it and sign in again (npm run agent -- login)`)
  }
  const parsed = AgentState.safeParse(json)
  if (!parsed.success)
    throw new Error(`${file} is not a state this agent wrote; delete it and sign in again (npm run agent -- login)`)
  return parsed.data
}

/**
 * Writes the state atomically (temporary file, then rename) with mode 0600. Synchronous, so that a
 * token the MCP SDK re-acquires in a callback is on disk before the process exits.
 */
export function writeAgentState(file: string, state: AgentState): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const temporary = `${file}.${process.pid}.${crypto.randomUUID()}.tmp`
  try {
    // `wx`: a fresh file, never one planted at that path (or a link to one).
    writeFileSync(temporary, JSON.stringify(state, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
    chmodSync(temporary, 0o600)
    renameSync(temporary, file)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw error
  }
}

/**
 * Keeps a newly obtained access token, but only in the sign-in it was obtained for: the file is
 * read again first, and left alone when it is gone (a `logout` meanwhile) or holds another sign-in
 * (a `login` meanwhile), so a running `call` never brings back deleted or replaced credentials.
 * @returns whether the token was kept.
 */
export function keepAccessToken(
  file: string,
  signIn: AgentState,
  accessToken: NonNullable<AgentState['accessToken']>,
): boolean {
  let current: AgentState
  try {
    const parsed = AgentState.safeParse(JSON.parse(readFileSync(file, 'utf8')))
    if (!parsed.success) return false
    current = parsed.data
  } catch {
    return false // gone, or unreadable: nothing to add to
  }
  const same =
    current.idpIssuer === signIn.idpIssuer &&
    current.clientId === signIn.clientId &&
    current.user.sub === signIn.user.sub &&
    current.refreshToken === signIn.refreshToken &&
    current.idToken === signIn.idToken
  if (!same) return false
  writeAgentState(file, { ...current, accessToken })
  return true
}

export async function deleteAgentState(file: string): Promise<boolean> {
  try {
    await rm(file)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}
