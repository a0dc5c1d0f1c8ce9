import { createHash, randomBytes } from 'node:crypto'
import type { ClientAuthentication } from './client-auth.ts'
import { describeTokenResponse } from './describe-token-response.ts'
import { logInAtIdp } from './log-in-at-idp.ts'

export interface SignInAtIdpOptions {
  /** The IdP's issuer; its endpoints are oidc-provider's defaults below it (/auth, /token). */
  idp: string
  clientId: string
  /** The redirect URI registered for the client; it is never requested, only read back from a Location. */
  redirectUri: string
  /** Default `openid profile email`. */
  scope?: string
  /** The OIDC `prompt` parameter, if any (`consent` is what lets `offline_access` through). */
  prompt?: string
  username: string
  password: string
  /** How the client authenticates at /token, e.g. `clientSecretBasic(id, secret)`. */
  clientAuth: ClientAuthentication
}

/** What the code exchange at /token returned. */
export interface SignInTokens {
  id_token: string
  access_token?: string
  /** Present when the sign-in asked for `offline_access` (with `prompt=consent`). */
  refresh_token?: string
}

/**
 * Signs a user in at our IdP through real HTTP, as a browser and a client app would: GET /auth
 * (code + PKCE S256, state, nonce), the login form, the redirects (`logInAtIdp`), then the code at
 * /token. Checks `state`; does NOT validate the ID token (the IdP does that wherever it comes back).
 */
export async function signInAtIdp(options: SignInAtIdpOptions): Promise<SignInTokens> {
  const verifier = randomBytes(32).toString('base64url')
  const state = randomBytes(8).toString('hex')
  const authorize = new URL('/auth', options.idp)
  authorize.search = new URLSearchParams({
    client_id: options.clientId,
    response_type: 'code',
    redirect_uri: options.redirectUri,
    scope: options.scope ?? 'openid profile email',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    nonce: randomBytes(8).toString('hex'),
    ...(options.prompt === undefined ? {} : { prompt: options.prompt }),
  }).toString()

  const callback = await logInAtIdp(authorize.href, options.redirectUri, options)
  const error = callback.searchParams.get('error')
  if (error !== null)
    throw new Error(
      `the IdP refused the sign-in: ${error} ${callback.searchParams.get('error_description') ?? ''}`.trim(),
    )
  if (callback.searchParams.get('state') !== state) throw new Error('state mismatch on the redirect URI')
  const code = callback.searchParams.get('code')
  if (code === null) throw new Error(`no code on the redirect URI: ${callback.href}`)

  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: options.redirectUri,
    code_verifier: verifier,
  })
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  await options.clientAuth(headers, body)
  const response = await fetch(new URL('/token', options.idp), { method: 'POST', headers, body })
  const json: unknown = await response.json()
  if (
    response.status !== 200 ||
    typeof json !== 'object' ||
    json === null ||
    !('id_token' in json) ||
    typeof json.id_token !== 'string'
  ) {
    throw new Error(`code exchange failed: ${describeTokenResponse(response.status, json)}`)
  }
  const tokens: SignInTokens = { id_token: json.id_token }
  if ('access_token' in json && typeof json.access_token === 'string') tokens.access_token = json.access_token
  if ('refresh_token' in json && typeof json.refresh_token === 'string') tokens.refresh_token = json.refresh_token
  return tokens
}
