import { createHash, randomBytes } from 'node:crypto'

export interface SignInOptions {
  /** The IdP's issuer; its endpoints are oidc-provider's defaults below it. */
  idp: string
  /** The client app's URL; the redirect URI is `${clientUrl}/callback`. */
  clientUrl: string
  clientId: string
  clientSecret: string
  /** How the client authenticates at the IdP's /token (as registered there). */
  authMethod: 'client_secret_basic' | 'client_secret_post'
  username: string
  password: string
}

/**
 * Signs a user in at our IdP through real HTTP, as a browser and a client app would:
 * GET /auth (code + PKCE S256), the login form, the redirects (cookies carried by hand), then the
 * code at /token. Stops at the redirect to the client's callback and reads `code` from its Location.
 * Checks `state`; does NOT validate the ID token (the caller only forwards it to the IdP).
 *
 * @returns the ID token.
 */
export async function signIn(options: SignInOptions): Promise<string> {
  const redirectUri = `${options.clientUrl}/callback`
  const verifier = randomBytes(32).toString('base64url')
  const state = randomBytes(8).toString('hex')
  const authorize = new URL('/auth', options.idp)
  authorize.search = new URLSearchParams({
    client_id: options.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    nonce: randomBytes(8).toString('hex'),
  }).toString()

  const callback = await logInAtIdp(authorize.href, redirectUri, options)
  if (callback.searchParams.get('state') !== state) throw new Error('state mismatch')
  const code = callback.searchParams.get('code')
  if (code === null) throw new Error(`no code in ${callback.href}`)

  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier })
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (options.authMethod === 'client_secret_basic') {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString('base64')}`
  } else {
    body.set('client_id', options.clientId)
    body.set('client_secret', options.clientSecret)
  }
  const response = await fetch(new URL('/token', options.idp), { method: 'POST', headers, body })
  const json: unknown = await response.json()
  if (response.status !== 200 || typeof json !== 'object' || json === null || !('id_token' in json) || typeof json.id_token !== 'string') {
    throw new Error(`code exchange failed: ${response.status} ${JSON.stringify(json)}`)
  }
  return json.id_token
}

/**
 * What a browser does between an authorization URL and the client's redirect URI: the IdP's
 * redirects, its login form posted with the user's password, and the redirects after it (cookies
 * carried by hand). Returns the redirect URI with the response parameters, without requesting it.
 */
export async function logInAtIdp(authorizationUrl: string, redirectUri: string, user: { username: string; password: string }): Promise<URL> {
  const jar = new CookieJar()
  const loginPage = await follow(authorizationUrl, { method: 'GET' }, jar, redirectUri)
  const page = await fetch(loginPage, { headers: { cookie: jar.header() }, redirect: 'manual' })
  jar.store(page)
  const html = await page.text()
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1]
  if (page.status !== 200 || action === undefined) throw new Error(`expected the login form at ${loginPage}, got ${page.status}`)
  const callback = new URL(await follow(new URL(action, loginPage).href, {
    method: 'POST',
    body: new URLSearchParams({ username: user.username, password: user.password }),
  }, jar, redirectUri))
  if (`${callback.origin}${callback.pathname}` !== redirectUri) throw new Error(`sign-in did not reach the redirect URI: ${callback.href}`)
  return callback
}

/**
 * Follows redirects by hand until one points at the redirect URI (returned, not followed) or a
 * response is a page (its URL is returned).
 */
async function follow(url: string, init: { method: string; body?: URLSearchParams }, jar: CookieJar, redirectUri: string): Promise<string> {
  let current = url
  let request = init
  for (let hop = 0; hop < 10; hop++) {
    const headers: Record<string, string> = { cookie: jar.header() }
    if (request.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    const response = await fetch(current, { method: request.method, headers, body: request.body, redirect: 'manual' })
    jar.store(response)
    await response.arrayBuffer()
    const location = response.headers.get('location')
    if (response.status === 200) return current
    if (response.status < 300 || response.status >= 400 || location === null) throw new Error(`unexpected ${response.status} at ${current}`)
    const next = new URL(location, current)
    if (next.href.startsWith(redirectUri)) return next.href
    current = next.href
    request = { method: 'GET' }
  }
  throw new Error('too many redirects')
}

/** Just enough of a cookie jar for oidc-provider's interaction and session cookies. */
class CookieJar {
  readonly #cookies = new Map<string, string>()
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name)
      else this.#cookies.set(name, value)
    }
  }
  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
}
