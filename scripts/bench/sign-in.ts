// The benchmark's sign-in: a browser's part of the authorization code flow (PKCE S256) at the IdP,
// over real HTTP with cookies carried by hand, then the code at /token. Only what `npm run bench`
// needs (one user, client_secret_basic); it does not validate the ID token, the IdP does that on
// every token exchange. Kept apart from the test helpers: scripts/ does not depend on test code.
import { createHash, randomBytes } from 'node:crypto'

export interface SignInOptions {
  /** The IdP's issuer; its endpoints are oidc-provider's defaults below it. */
  idp: string
  /** The redirect URI registered for the client; it is never requested, only read back from a Location. */
  redirectUri: string
  clientId: string
  clientSecret: string
  username: string
  password: string
}

/** Signs the user in and returns the ID token the IdP issued to the client. */
export async function signIn(options: SignInOptions): Promise<string> {
  const verifier = randomBytes(32).toString('base64url')
  const state = randomBytes(8).toString('hex')
  const authorize = new URL('/auth', options.idp)
  authorize.search = new URLSearchParams({
    client_id: options.clientId,
    response_type: 'code',
    redirect_uri: options.redirectUri,
    scope: 'openid profile email',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    nonce: randomBytes(8).toString('hex'),
  }).toString()

  const cookies = new Map<string, string>()
  // GET /auth → redirects → the login page.
  const login = await browse(authorize.href, undefined, cookies, options.redirectUri)
  if (login.redirectedTo !== undefined) throw new Error(`the IdP skipped its login page: ${login.redirectedTo}`)
  const action = /<form method="post" action="([^"]+)"/.exec(login.html)?.[1]
  if (action === undefined) throw new Error(`no login form at ${login.url}`)
  // POST the form → redirects → the client's redirect URI with the code.
  const done = await browse(new URL(action, login.url).href, new URLSearchParams({ username: options.username, password: options.password }), cookies, options.redirectUri)
  if (done.redirectedTo === undefined) throw new Error(`sign-in as ${options.username} did not reach ${options.redirectUri} (ended at ${done.url})`)
  const callback = new URL(done.redirectedTo)
  if (callback.searchParams.get('state') !== state) throw new Error('state mismatch on the redirect URI')
  const code = callback.searchParams.get('code')
  if (code === null) throw new Error(`no code on the redirect URI: ${callback.href}`)

  const response = await fetch(new URL('/token', options.idp), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(options.clientId, options.clientSecret) },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: options.redirectUri, code_verifier: verifier }),
  })
  const json = await response.json() as { id_token?: unknown }
  if (response.status !== 200 || typeof json.id_token !== 'string') throw new Error(`code exchange failed: ${response.status} ${JSON.stringify(json)}`)
  return json.id_token
}

/** RFC 6749 §2.3.1: HTTP Basic with the form-urlencoded client_id and secret. */
export function basic(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+')
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`
}

interface Page {
  /** The URL of the last response. */
  url: string
  html: string
  /** Set when a redirect pointed at the redirect URI (not followed). */
  redirectedTo?: string
}

/** Requests `url` (POSTing `form` if given), then follows redirects by hand until a page or the redirect URI. */
async function browse(url: string, form: URLSearchParams | undefined, cookies: Map<string, string>, redirectUri: string): Promise<Page> {
  let current = url
  let body = form
  for (let hop = 0; hop < 10; hop++) {
    const headers: Record<string, string> = { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') }
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    const response = await fetch(current, { method: body === undefined ? 'GET' : 'POST', headers, body, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? ''
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) cookies.delete(name)
      else cookies.set(name, value)
    }
    const html = await response.text()
    if (response.status === 200) return { url: current, html }
    const location = response.headers.get('location')
    if (response.status < 300 || response.status >= 400 || location === null) throw new Error(`sign-in: unexpected ${response.status} at ${current}`)
    const next = new URL(location, current).href
    if (next.startsWith(`${redirectUri}?`)) return { url: current, html: '', redirectedTo: next }
    current = next
    body = undefined
  }
  throw new Error('sign-in: too many redirects')
}
