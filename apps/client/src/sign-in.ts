import * as oidc from 'openid-client'
import type { ClientConfig } from './config.ts'
import { DISPLAY_NAMES } from './connect-to-tasks.ts'
import {
  discoverIdp,
  FlowError,
  idpTokenEndpoint,
  type IdpTokenEndpoint,
  redeemSignInResponse,
  type StepUpSignIn,
} from '@ema/id-jag-client'
import type { Session, SignedInUser } from './session-store.ts'

export interface SignInDeps {
  fetch: typeof fetch
}

/**
 * Single sign-on with the enterprise IdP (CL-13…CL-15) using openid-client: authorization code flow
 * with PKCE S256, `state` and `nonce`, all three checked at the callback. The IdP's discovery document
 * is fetched once, lazily, and reused (its `token_endpoint` is also where the ID-JAG is requested).
 */
export class SignIn {
  readonly #config: ClientConfig
  readonly #deps: SignInDeps
  #discovered: Promise<oidc.Configuration> | undefined

  constructor(config: ClientConfig, deps: SignInDeps) {
    this.#config = config
    this.#deps = deps
  }

  get redirectUri(): string {
    return `${this.#config.clientUrl}/callback`
  }

  /** The IdP's openid-client configuration (discovery of IDP_ISSUER). Retried after a failure. */
  async idp(): Promise<oidc.Configuration> {
    this.#discovered ??= this.#discover().catch((error: unknown) => {
      this.#discovered = undefined
      throw error
    })
    return this.#discovered
  }

  /** The IdP's token endpoint, issuer and client authentication methods, for the token exchange (CL-17, CL-27). */
  async tokenEndpoint(): Promise<IdpTokenEndpoint> {
    return idpTokenEndpoint(await this.idp(), DISPLAY_NAMES.idpName)
  }

  /**
   * Starts sign-in: remembers state, nonce and PKCE verifier in the session and returns the IdP URL.
   * A step-up (the IdP answered the token exchange `insufficient_user_authentication`, CL-35, IDP-56)
   * adds its `max_age` and `acr_values`, and the new ID token's `auth_time` is then checked against `max_age`.
   */
  async start(
    session: Session,
    options: { loginHint?: string | undefined; stepUp?: StepUpSignIn | undefined } = {},
  ): Promise<URL> {
    const idp = await this.idp()
    const codeVerifier = oidc.randomPKCECodeVerifier() // CL-15
    const state = oidc.randomState() // CL-14
    const nonce = oidc.randomNonce() // CL-14
    const { stepUp } = options
    session.pendingSignIn = {
      state,
      nonce,
      codeVerifier,
      ...(stepUp?.maxAge === undefined ? {} : { maxAge: stepUp.maxAge }),
    }
    return oidc.buildAuthorizationUrl(idp, {
      ...(stepUp?.maxAge === undefined ? {} : { max_age: String(stepUp.maxAge) }),
      ...(stepUp?.acrValues === undefined ? {} : { acr_values: stepUp.acrValues }),
      redirect_uri: this.redirectUri,
      scope: this.#config.signInScope,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      // Always show the IdP login page, so a demo can switch users after "Sign out".
      prompt: 'login',
      // OIDC Core §3.1.2.1: who is expected to sign in (the "Break it" panel's carol); the IdP may ignore it.
      ...(options.loginHint === undefined ? {} : { login_hint: options.loginHint }),
    })
  }

  /** Finishes sign-in at `/callback`: checks state, nonce and PKCE, and returns the user and ID token. */
  async finish(session: Session, currentUrl: URL): Promise<{ user: SignedInUser; idToken: string }> {
    const pending = session.pendingSignIn
    delete session.pendingSignIn // one use only
    if (pending === undefined)
      throw new FlowError(
        'invalid_request',
        'This sign-in response does not belong to a sign-in started here; please sign in again',
      )
    const { user, idToken } = await redeemSignInResponse(await this.idp(), currentUrl, pending, DISPLAY_NAMES.idpName) // CL-14, CL-15
    return { user: { sub: user.sub, name: user.name, username: user.username }, idToken }
  }

  #discover(): Promise<oidc.Configuration> {
    return discoverIdp({ ...this.#config, idpName: DISPLAY_NAMES.idpName }, this.#deps.fetch, this.redirectUri) // CL-27, CL-28, CL-48
  }
}
