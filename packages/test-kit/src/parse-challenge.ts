/** Parses a `WWW-Authenticate` value, `Bearer a="b", c="d"`, into its scheme and `{ a: 'b', c: 'd' }`. */
export function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } {
  if (header === null) throw new Error('no WWW-Authenticate header')
  const [scheme = '', rest = ''] = header.split(/ (.*)/s)
  const params: Record<string, string> = {}
  for (const match of rest.matchAll(/([a-z_]+)="([^"]*)"/g)) params[match[1]!] = match[2]!
  return { scheme, params }
}
