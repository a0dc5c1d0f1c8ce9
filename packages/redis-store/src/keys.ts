import { createHash } from 'node:crypto'

/**
 * Key names. Every key starts with the deployment's prefix (`REDIS_KEY_PREFIX`; by default the
 * role and its issuer), so that several deployments, or several roles, can share one Redis without
 * reading each other's state. Values that come from the outside (assertion ids, client ids) are
 * hashed: a key's length is bounded and reveals nothing.
 */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

export function replayKey(prefix: string, id: string): string {
  return `${prefix}:replay:${sha256(id)}`
}

export function rateLimitKey(prefix: string, key: string): string {
  return `${prefix}:rate:${sha256(key)}`
}

export function oidcKey(prefix: string, model: string, id: string): string {
  return `${prefix}:oidc:${model}:${id}`
}

export function grantKey(prefix: string, grantId: string): string {
  return `${prefix}:oidc:grant:${grantId}`
}

export function sessionUidKey(prefix: string, uid: string): string {
  return `${prefix}:oidc:sessionUid:${uid}`
}

export function userCodeKey(prefix: string, userCode: string): string {
  return `${prefix}:oidc:userCode:${userCode}`
}

export function revocationKey(prefix: string, jti: string): string {
  return `${prefix}:revoked:${sha256(jti)}`
}

/** A shared document (e.g. the IdP's policy: `policy:<variant>`); `name` comes from configuration, not from outside. */
export function documentKey(prefix: string, name: string): string {
  return `${prefix}:${name}`
}

export function auditKey(prefix: string): string {
  return `${prefix}:audit`
}

/** The Tasks API: one list of tasks per owner (`iss` and `sub`). */
export function taskListKey(prefix: string, iss: string, sub: string): string {
  return `${prefix}:tasks:${sha256(`${iss} ${sub}`)}`
}

/** The Tasks API: the set of every owner's task list, so that a demo reset finds them without a SCAN. */
export function taskOwnersKey(prefix: string): string {
  return `${prefix}:tasks-owners`
}

/** The Tasks API: the audit trail of writes (the last 10,000). */
export function taskWritesKey(prefix: string): string {
  return `${prefix}:task-writes`
}

/** The MCP server: one session (RS-19), by its `Mcp-Session-Id`. */
export function mcpSessionKey(prefix: string, sessionId: string): string {
  return `${prefix}:mcp-session:${sha256(sessionId)}`
}

/** The client web app: one browser's session, by the id its cookie carries. */
export function webSessionKey(prefix: string, sessionId: string): string {
  return `${prefix}:web-session:${sha256(sessionId)}`
}
