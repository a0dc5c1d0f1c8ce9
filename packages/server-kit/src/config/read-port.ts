import type { Env } from './env.ts'

/**
 * The port a role listens on: `env[name]` (`IDP_PORT`, `AS_PORT` …: behind a proxy the public URL's
 * port is not the process's), else the port of its own public `url`, else the scheme's default.
 * `0` asks the system for a free port (tests).
 * @throws {TypeError} naming the variable when it is not a port number.
 */
export function readPort(env: Env, name: string, url: string | URL): number {
  const raw = env[name]
  if (raw !== undefined && raw !== '') {
    const port = Number(raw)
    if (!/^\d+$/.test(raw) || port > 65_535) throw new TypeError(`${name} must be a port number (0 to 65535)`)
    return port
  }
  const parsed = typeof url === 'string' ? new URL(url) : url
  if (parsed.port !== '') return Number(parsed.port)
  return parsed.protocol === 'https:' ? 443 : 80
}
