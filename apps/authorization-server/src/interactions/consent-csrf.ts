import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * SEC-08: the consent form's CSRF token, bound to one interaction: an HMAC of its uid under the
 * server's cookie keys (the first signs; any verifies, for rotation). The form is also bound to the
 * browser by oidc-provider's interaction cookie (signed, `SameSite=Lax`, path `/interaction/<uid>`),
 * and cross-site posts are refused by their Origin / Sec-Fetch-Site (interaction-routes.ts).
 */
export function consentCsrfToken(keys: readonly string[], uid: string): string {
  const [key] = keys
  if (key === undefined) throw new TypeError('no cookie key to derive the consent CSRF token from')
  return mac(key, uid)
}

/** Whether `token` is the consent CSRF token of `uid` under any of `keys`, compared in constant time. */
export function isConsentCsrfToken(keys: readonly string[], uid: string, token: unknown): boolean {
  if (typeof token !== 'string' || token === '') return false
  const given = Buffer.from(token)
  return keys.some((key) => {
    const expected = Buffer.from(mac(key, uid))
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}

function mac(key: string, uid: string): string {
  return createHmac('sha256', key).update(`consent-csrf:${uid}`).digest('base64url')
}
