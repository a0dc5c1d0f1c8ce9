import * as oidc from 'openid-client'
import { FlowError } from './flow-error.ts'

/** What a sign-in started with: the values its response is checked against (CL-14, CL-15). */
export interface PendingSignIn {
  state: string
  nonce: string
  codeVerifier: string
  /** A step-up sign-in's `max_age`: the ID token's `auth_time` must then be at most this old (OIDC Core §3.1.3.7). */
  maxAge?: number | undefined
}

export interface SignInResult {
  user: { sub: string; name?: string; username?: string }
  idToken: string
  /** Epoch ms, from the ID token's `exp`. */
  idTokenExpiresAt: number
  /** The IdP refresh token, when the sign-in asked for `offline_access` and got one (CL-45). */
  refreshToken: string | undefined
}

/**
 * Finishes an authorization code sign-in at the redirect URI, for the web app's `/callback` and the
 * agent's loopback listener alike: `state` first, before anything else in the response is read,
 * error responses included (CL-14); then the code at the token endpoint with the PKCE verifier
 * (CL-15), and the ID token's `nonce` (CL-14), with openid-client. The user's name comes from the ID
 * token, or from userinfo where the IdP keeps profile claims there.
 * @throws {FlowError} with the IdP's `error` code, or `invalid_state` / `invalid_response`.
 */
export async function redeemSignInResponse(
  idp: oidc.Configuration,
  currentUrl: URL,
  pending: PendingSignIn,
  idpName = 'The IdP',
): Promise<SignInResult> {
  // CL-14: the state must match before anything in the response is processed, errors included.
  if (currentUrl.searchParams.get('state') !== pending.state)
    throw new FlowError(
      'invalid_state',
      'The sign-in response carried the wrong state, so it was refused; please sign in again',
    )
  const authorizationError = currentUrl.searchParams.get('error')
  if (authorizationError !== null) {
    const description = currentUrl.searchParams.get('error_description') ?? undefined
    throw new FlowError(authorizationError, `${idpName} did not sign you in: ${description ?? authorizationError}`, {
      description,
    })
  }
  let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>
  try {
    tokens = await oidc.authorizationCodeGrant(idp, currentUrl, {
      pkceCodeVerifier: pending.codeVerifier, // CL-15
      expectedState: pending.state, // CL-14
      expectedNonce: pending.nonce, // CL-14
      ...(pending.maxAge === undefined ? {} : { maxAge: pending.maxAge }), // a step-up sign-in must be fresh
      idTokenExpected: true,
    })
  } catch (cause) {
    const code = cause instanceof oidc.ResponseBodyError ? cause.error : 'invalid_response'
    throw new FlowError(
      code,
      `Sign-in with ${idpName} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    )
  }
  const claims = tokens.claims()
  if (tokens.id_token === undefined || claims === undefined)
    throw new FlowError('invalid_response', `${idpName} returned no ID token`)
  let name = typeof claims.name === 'string' ? claims.name : undefined
  let username = typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined
  if ((name === undefined || username === undefined) && tokens.access_token !== undefined) {
    // oidc-provider puts profile claims in userinfo unless asked otherwise.
    try {
      const userinfo = await oidc.fetchUserInfo(idp, tokens.access_token, claims.sub)
      name ??= typeof userinfo.name === 'string' ? userinfo.name : undefined
      username ??= typeof userinfo.preferred_username === 'string' ? userinfo.preferred_username : undefined
    } catch {
      // the name is cosmetic; the sub is enough
    }
  }
  return {
    user: { sub: claims.sub, ...(name === undefined ? {} : { name }), ...(username === undefined ? {} : { username }) },
    idToken: tokens.id_token,
    idTokenExpiresAt: claims.exp * 1000,
    refreshToken: tokens.refresh_token,
  }
}
