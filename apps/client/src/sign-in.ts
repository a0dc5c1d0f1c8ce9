import * as oidc from 'openid-client'
import type { ClientConfig } from './config.ts'
import { FlowError } from './flow/flow-error.ts'
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

  /** The IdP's token endpoint, for the token exchange (CL-17). */
  async tokenEndpoint(): Promise<string> {
    const endpoint = (await this.idp()).serverMetadata().token_endpoint
    if (endpoint === undefined) throw new FlowError('invalid_idp_metadata', 'Acme SSO does not publish a token endpoint')
    return endpoint
  }

  /** Starts sign-in: remembers state, nonce and PKCE verifier in the session and returns the IdP URL. */
  async start(session: Session): Promise<URL> {
    const idp = await this.idp()
    const codeVerifier = oidc.randomPKCECodeVerifier() // CL-15
    const state = oidc.randomState() // CL-14
    const nonce = oidc.randomNonce() // CL-14
    session.pendingSignIn = { state, nonce, codeVerifier }
    return oidc.buildAuthorizationUrl(idp, {
      redirect_uri: this.redirectUri,
      scope: this.#config.signInScope,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      // Always show the IdP login page, so a demo can switch users after "Sign out".
      prompt: 'login',
    })
  }

  /** Finishes sign-in at `/callback`: checks state, nonce and PKCE, and returns the user and ID token. */
  async finish(session: Session, currentUrl: URL): Promise<{ user: SignedInUser; idToken: string }> {
    const pending = session.pendingSignIn
    delete session.pendingSignIn // one use only
    const authorizationError = currentUrl.searchParams.get('error')
    if (pending === undefined) throw new FlowError('invalid_request', 'This sign-in response does not belong to a sign-in started here; please sign in again')
    // CL-14: the state must match before anything in the response is processed, errors included.
    if (currentUrl.searchParams.get('state') !== pending.state) throw new FlowError('invalid_state', 'The sign-in response carried the wrong state, so it was refused; please sign in again')
    if (authorizationError !== null) {
      const description = currentUrl.searchParams.get('error_description') ?? undefined
      throw new FlowError(authorizationError, `Acme SSO did not sign you in: ${description ?? authorizationError}`, { description })
    }
    const idp = await this.idp()
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>
    try {
      tokens = await oidc.authorizationCodeGrant(idp, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier, // CL-15
        expectedState: pending.state, // CL-14
        expectedNonce: pending.nonce, // CL-14
        idTokenExpected: true,
      })
    } catch (cause) {
      const code = cause instanceof oidc.ResponseBodyError ? cause.error : 'invalid_response'
      throw new FlowError(code, `Sign-in with Acme SSO failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    }
    const claims = tokens.claims()
    if (tokens.id_token === undefined || claims === undefined) throw new FlowError('invalid_response', 'Acme SSO returned no ID token')
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
    return { user: { sub: claims.sub, name, username }, idToken: tokens.id_token }
  }

  async #discover(): Promise<oidc.Configuration> {
    const { idpClient } = this.#config
    const auth = idpClient.authMethod === 'client_secret_post' ? oidc.ClientSecretPost(idpClient.clientSecret) : oidc.ClientSecretBasic(idpClient.clientSecret)
    try {
      return await oidc.discovery(new URL(this.#config.idpIssuer), idpClient.clientId, { redirect_uris: [this.redirectUri] }, auth, {
        // CL-48: plain http only with the loud demo switch.
        execute: this.#config.allowInsecureHttp ? [oidc.allowInsecureRequests] : [],
        [oidc.customFetch]: (url, options) => this.#deps.fetch(url, options as RequestInit),
      })
    } catch (cause) {
      const reason = cause instanceof Error ? (cause.cause instanceof Error ? `${cause.message} (${cause.cause.message})` : cause.message) : String(cause)
      throw new FlowError('temporarily_unavailable', `Could not read Acme SSO's discovery document at ${this.#config.idpIssuer}: ${reason}`, { cause })
    }
  }
}
