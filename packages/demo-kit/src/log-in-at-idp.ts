import { CookieJar } from './cookie-jar.ts'

export interface User {
  username: string
  password: string
}

/**
 * What a browser does between an authorization URL and the client's redirect URI: the IdP's
 * redirects, its login form posted with the user's password, and the redirects after it (a consent
 * interaction the IdP completes on GET included), cookies carried by hand. Returns the redirect URI
 * with the response parameters (`code` and `state`, or `error`), without requesting it.
 *
 * Throws if the IdP redirects to the redirect URI before showing a login form, if the page it lands
 * on has no login form, or if the form post does not end at the redirect URI.
 */
export async function logInAtIdp(authorizationUrl: string, redirectUri: string, user: User): Promise<URL> {
  const jar = new CookieJar()
  const login = await browse(authorizationUrl, undefined, jar, redirectUri)
  if (login.redirectedTo !== undefined) throw new Error(`the IdP skipped its login page: ${login.redirectedTo.href}`)
  const action = /<form method="post" action="([^"]+)"/.exec(login.html)?.[1]
  if (action === undefined) throw new Error(`expected the login form at ${login.url}, found none`)
  const form = new URLSearchParams({ username: user.username, password: user.password })
  const done = await browse(new URL(action, login.url).href, form, jar, redirectUri)
  if (done.redirectedTo === undefined) throw new Error(`sign-in as ${user.username} did not reach ${redirectUri} (ended at ${done.url})`)
  return done.redirectedTo
}

interface Page {
  /** The URL of the last response. */
  url: string
  html: string
  /** Set when a redirect pointed at the redirect URI (not followed). */
  redirectedTo?: URL
}

/**
 * Requests `url` (POSTing `form` if given), then follows redirects by hand until a 200 page or a
 * redirect to the redirect URI (returned, not followed). Anything else is an error.
 */
async function browse(url: string, form: URLSearchParams | undefined, jar: CookieJar, redirectUri: string): Promise<Page> {
  let current = url
  let body = form
  for (let hop = 0; hop < 10; hop++) {
    const headers: Record<string, string> = { cookie: jar.header() }
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    const response = await fetch(current, { method: body === undefined ? 'GET' : 'POST', headers, body, redirect: 'manual' })
    jar.store(response)
    const html = await response.text()
    if (response.status === 200) return { url: current, html }
    const location = response.headers.get('location')
    if (response.status < 300 || response.status >= 400 || location === null) throw new Error(`unexpected ${response.status} at ${current}`)
    const next = new URL(location, current)
    if (`${next.origin}${next.pathname}` === redirectUri) return { url: current, html: '', redirectedTo: next }
    current = next.href
    body = undefined
  }
  throw new Error(`too many redirects from ${url}`)
}
