import * as oidc from 'openid-client'
import { discoverIdp, FlowError, redeemSignInResponse, type SignInResult, type StepUpSignIn } from '@ema/id-jag-client'
import type { AgentConfig } from './agent-config.ts'
import { DISPLAY_NAMES } from './connect-as-signed-in-user.ts'
import { answerBrowser, listenForCallback } from './loopback-listener.ts'

export interface BrowserSignInDeps {
  fetch: typeof fetch
  /** Shows the user the sign-in URL (prints it, and may open the system browser). */
  openUrl: (url: string) => void
}

/**
 * Signs the user in through the system browser, for an agent without a web server of its own
 * (RFC 8252, OAuth for native apps): the authorization code flow with PKCE S256, `state` and `nonce`
 * (CL-13…CL-15), redirecting to a one-shot listener on a loopback IP literal and an ephemeral port
 * (RFC 8252 §7.3; the IdP registers the client as native so that any port matches).
 *
 * Asks for `offline_access` with `prompt=consent`, so that the IdP issues a refresh token the agent
 * keeps for later runs (CL-45). The code is redeemed with the agent's own client authentication
 * (`private_key_jwt`, CL-28).
 *
 * A step-up (the IdP answered a token exchange `insufficient_user_authentication`, IDP-56) adds the
 * IdP's `max_age` and `acr_values`, and the new ID token's `auth_time` is checked against `max_age`.
 *
 * Does NOT open a browser itself: `deps.openUrl` does. Gives up after `config.loginTimeoutMs`.
 * @throws {FlowError} when the IdP refuses, the response fails a check, or the wait times out.
 */
export async function signInThroughBrowser(
  config: AgentConfig,
  deps: BrowserSignInDeps,
  stepUp?: StepUpSignIn,
): Promise<SignInResult> {
  const codeVerifier = oidc.randomPKCECodeVerifier() // CL-15
  const state = oidc.randomState() // CL-14
  const nonce = oidc.randomNonce() // CL-14
  const listener = await listenForCallback(config.loopbackHost, state)
  let timer: NodeJS.Timeout | undefined
  try {
    const idp = await discoverIdp({ ...config, idpName: DISPLAY_NAMES.idpName }, deps.fetch, listener.redirectUri)
    const authorizationUrl = oidc.buildAuthorizationUrl(idp, {
      redirect_uri: listener.redirectUri,
      scope: config.signInScope,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      // The IdP issues a refresh token for offline_access only with consent asked; login shows the
      // password page even when a browser session exists, so the user sees who signs in.
      prompt: 'login consent',
      ...(stepUp?.maxAge === undefined ? {} : { max_age: String(stepUp.maxAge) }),
      ...(stepUp?.acrValues === undefined ? {} : { acr_values: stepUp.acrValues }),
    })
    deps.openUrl(authorizationUrl.href)

    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new FlowError(
              'login_timeout',
              `No sign-in came back within ${Math.round(config.loginTimeoutMs / 1000)} s; run the command again`,
            ),
          ),
        config.loginTimeoutMs,
      )
    })
    const { url, res } = await Promise.race([listener.callback, timeout])
    try {
      const result = await redeemSignInResponse(
        idp,
        url,
        { state, nonce, codeVerifier, ...(stepUp?.maxAge === undefined ? {} : { maxAge: stepUp.maxAge }) },
        DISPLAY_NAMES.idpName,
      ) // CL-14, CL-15
      await answerBrowser(
        res,
        200,
        `Signed in as ${result.user.username ?? result.user.sub}. You can close this window and return to the terminal.`,
      )
      return result
    } catch (error) {
      await answerBrowser(res, 400, `Sign-in failed: ${error instanceof Error ? error.message : String(error)}`)
      throw error
    }
  } finally {
    clearTimeout(timer)
    listener.close()
  }
}
