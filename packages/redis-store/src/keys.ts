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
