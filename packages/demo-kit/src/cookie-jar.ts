/**
 * Just enough of a browser's cookie jar for oidc-provider's interaction and session cookies: one
 * origin, names and values only. A cookie set to an empty value or expired in 1970 is removed.
 */
export class CookieJar {
  readonly #cookies = new Map<string, string>()

  /** Takes in every Set-Cookie of a response. */
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name)
      else this.#cookies.set(name, value)
    }
  }

  /** The Cookie request header: `name=value; …` ('' when empty). */
  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
}
