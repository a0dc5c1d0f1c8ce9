import { assertTrustworthyUrl } from '@ema/tokens'
import type { Env } from './env.ts'

export interface ReadUrlOptions {
  /**
   * `ALLOW_INSECURE_HTTP=true`: plain http is accepted to a loopback host (`localhost`, `127.x.x.x`,
   * `[::1]`), and only there (decision 0005, decision 0024). Everything else is https.
   */
  allowInsecureHttp: boolean
}

/**
 * A configured URL from `env[name]`, else `fallback`, held to the one insecure-http rule every role
 * shares ({@link parseUrlSetting}). Returns the string as configured: issuers and resources are
 * compared exactly, so the role decides whether to canonicalise.
 * @throws {TypeError} one line naming the variable, never echoing more than the URL's origin.
 */
export function readUrl(env: Env, name: string, fallback: string, options: ReadUrlOptions): string {
  const value = env[name] === undefined || env[name] === '' ? fallback : env[name]
  parseUrlSetting(name, value, options)
  return value
}

/**
 * SEC-01, AS-15, CL-48, CL-50: a URL setting (a variable, or a member of a JSON setting named by
 * `name`) is absolute, `https:`, or `http:` to a loopback host with `allowInsecureHttp`
 * (`assertTrustworthyUrl`, the rule `remoteKeySet` applies at run time too), and carries neither
 * userinfo (a credential that would be logged) nor a fragment (RFC 8414 §2, RFC 8707 §2).
 * @throws {TypeError} naming `name`; the advice fits the switch: "set ALLOW_INSECURE_HTTP=true" only when it is not set.
 */
export function parseUrlSetting(name: string, value: string, options: ReadUrlOptions): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new TypeError(`${name} is not an absolute URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`${name} must be an https URL`)
  if (url.username !== '' || url.password !== '') throw new TypeError(`${name} must not contain userinfo`)
  if (url.hash !== '' || value.includes('#')) throw new TypeError(`${name} must not have a fragment`)
  try {
    assertTrustworthyUrl(url, options.allowInsecureHttp)
  } catch {
    throw new TypeError(
      options.allowInsecureHttp
        ? `${name} is plain http to ${url.host}, which is not a loopback host: ALLOW_INSECURE_HTTP=true allows http only to localhost, 127.x.x.x and [::1]; use https`
        : `${name} is plain http (${url.origin}): use https, or set ALLOW_INSECURE_HTTP=true for a local demo on loopback hosts`,
    )
  }
  return url
}
