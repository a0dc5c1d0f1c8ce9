/** The parameters of a `Bearer` challenge (RFC 6750 §3, RFC 9728 §5.1). */
export interface BearerChallenge {
  resource_metadata?: string
  scope?: string
  error?: string
  error_description?: string
}

/**
 * Reads the auth-params of the `Bearer` challenge in a `WWW-Authenticate` header. Handles quoted
 * strings with escapes and token values. Returns `undefined` when there is no Bearer challenge.
 */
export function parseBearerChallenge(header: string | null): BearerChallenge | undefined {
  if (header === null) return undefined
  const start = header.search(/(^|[\s,])Bearer(\s|$)/i)
  if (start === -1) return undefined
  const rest = header.slice(start).replace(/^[\s,]*Bearer/i, '')
  const challenge: Record<string, string> = {}
  const param = /\s*,?\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/gy
  let match: RegExpExecArray | null
  while ((match = param.exec(rest)) !== null) {
    const name = match[1]!.toLowerCase()
    const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!
    challenge[name] = value
  }
  return challenge
}
