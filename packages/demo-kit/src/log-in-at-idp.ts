import { CookieJar } from './cookie-jar.ts'

export interface User {
  username: string
  password: string
}

export interface LogInAtIdpOptions {
  /**
   * When the sign-in ends on a consent screen (the MCP authorization server's authorization code
   * flow, whose sign-in is federated to the IdP): answer it with this button. Absent → a consent
   * screen is an error, as before.
   */
  consent?: 'approve' | 'deny'
}

/**
 * What a browser does between an authorization URL and the client's redirect URI: the IdP's
 * redirects, its login form posted with the user's password, and the redirects after it (a consent
 * interaction the IdP completes on GET included), cookies carried by hand. Returns the redirect URI
 * with the response parameters (`code` and `state`, or `error`), without requesting it.
 *
 * The authorization URL may be another server's whose sign-in goes through the IdP (the MCP
 * authorization server's): its redirects are followed the same way, and with `options.consent` its
 * consent screen (a form marked `data-consent`) is answered, hidden fields (its CSRF token) included.
 *
 * Throws if the IdP redirects to the redirect URI before showing a login form, if the page it lands
 * on has no login form, or if the form post (and the consent answer) does not end at the redirect URI.
 */
export async function logInAtIdp(
  authorizationUrl: string,
  redirectUri: string,
  user: User,
  options: LogInAtIdpOptions = {},
): Promise<URL> {
  const jar = new CookieJar()
  const login = await browse(authorizationUrl, undefined, jar, redirectUri)
  if (login.redirectedTo !== undefined) throw new Error(`the IdP skipped its login page: ${login.redirectedTo.href}`)
  const action = /<form method="post" action="([^"]+)"/.exec(login.html)?.[1]
  if (action === undefined) throw new Error(`expected the login form at ${login.url}, found none`)
  const form = new URLSearchParams({ username: user.username, password: user.password })
  let done = await browse(new URL(action, login.url).href, form, jar, redirectUri)
  if (done.redirectedTo === undefined && options.consent !== undefined) {
    const consentAction = /<form method="post" action="([^"]+)" data-consent>/.exec(done.html)?.[1]
    if (consentAction === undefined) throw new Error(`expected a consent screen at ${done.url}, found none`)
    const answer = new URLSearchParams(hiddenFields(done.html))
    answer.set('decision', options.consent)
    done = await browse(new URL(unescapeHtml(consentAction), done.url).href, answer, jar, redirectUri)
  }
  if (done.redirectedTo === undefined)
    throw new Error(`sign-in as ${user.username} did not reach ${redirectUri} (ended at ${done.url})`)
  return done.redirectedTo
}

/** The `<input type="hidden" name=… value=…>` fields of a page, unescaped. */
function hiddenFields(html: string): Array<[string, string]> {
  return [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((match) => [
    unescapeHtml(match[1] ?? ''),
    unescapeHtml(match[2] ?? ''),
  ])
}

/** Undoes numeric character references and the five named ones. */
function unescapeHtml(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
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
async function browse(
  url: string,
  form: URLSearchParams | undefined,
  jar: CookieJar,
  redirectUri: string,
): Promise<Page> {
  let current = url
  let body = form
  for (let hop = 0; hop < 10; hop++) {
    const headers: Record<string, string> = { cookie: jar.header() }
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    const response = await fetch(current, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      body,
      redirect: 'manual',
    })
    jar.store(response)
    const html = await response.text()
    if (response.status === 200) return { url: current, html }
    const location = response.headers.get('location')
    if (response.status < 300 || response.status >= 400 || location === null)
      throw new Error(`unexpected ${response.status} at ${current}`)
    const next = new URL(location, current)
    if (`${next.origin}${next.pathname}` === redirectUri) return { url: current, html: '', redirectedTo: next }
    current = next.href
    body = undefined
  }
  throw new Error(`too many redirects from ${url}`)
}
