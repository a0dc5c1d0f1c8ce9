import type { RequestHandler } from 'express'
import { jsonRpcError } from './json-rpc-error.ts'

/** `host[:port]`: a DNS name or IPv4 address, or a bracketed IPv6 address, and an optional port. */
const HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/i

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]']

/**
 * `host[:port]` in one canonical form (lower case, the scheme's default port dropped), or undefined
 * when `value` is not a plain authority (userinfo, path, spaces, several values).
 */
export function canonicalHost(value: string, protocol: 'http:' | 'https:'): string | undefined {
  const match = HOST.exec(value.trim())
  if (match === null) return undefined
  const host = value.trim().toLowerCase()
  const defaultPort = protocol === 'https:' ? ':443' : ':80'
  return host.endsWith(defaultPort) ? host.slice(0, -defaultPort.length) : host
}

/**
 * The `Host` values the MCP endpoint answers: its own `host[:port]`, the loopback aliases of it when
 * it is on loopback (`localhost:4003` ⇔ `127.0.0.1:4003` ⇔ `[::1]:4003`, none of which an attacker's
 * DNS can point a browser at), and the configured extras (a proxy's public name).
 */
export function allowedHostsFor(resource: URL, extras: readonly string[]): string[] {
  const protocol = resource.protocol === 'https:' ? 'https:' : 'http:'
  const own = [resource.host]
  if (LOOPBACK_NAMES.includes(resource.hostname)) {
    for (const name of LOOPBACK_NAMES) own.push(resource.port === '' ? name : `${name}:${resource.port}`)
  }
  const hosts = [...own, ...extras].map((host) => canonicalHost(host, protocol))
  return [...new Set(hosts.filter((host): host is string => host !== undefined))]
}

/**
 * DNS-rebinding protection for the MCP endpoint (MCP Streamable HTTP transport, "Security Warning":
 * servers MUST validate `Origin`; the SDK validates `Host` too). A browser tricked into calling us
 * through an attacker's DNS name still sends that name in `Host`, with no `Origin` when the page is
 * same-origin to it. So `Host` must name this server; otherwise 403, before any token is read.
 */
export function requireAllowedHost(allowedHosts: readonly string[], protocol: 'http:' | 'https:'): RequestHandler {
  const allowed = new Set(allowedHosts.map((host) => canonicalHost(host, protocol)))
  return (req, res, next) => {
    const raw = req.headers.host
    // A Host already in its canonical form (what clients send) is found as it is, without parsing it.
    const host = raw === undefined || allowed.has(raw) ? raw : canonicalHost(raw, protocol)
    if (host !== undefined && allowed.has(host)) {
      next()
      return
    }
    const shown = raw === undefined ? '(none)' : JSON.stringify(raw.replace(/[^\x20-\x7e]/g, '?').slice(0, 100))
    res.status(403).json(jsonRpcError(-32000, `Forbidden: Host ${shown} is not allowed`))
  }
}
