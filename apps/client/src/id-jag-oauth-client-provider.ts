import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js'
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js'
import { GRANT_TYPE } from '@ema/tokens'
import { applyClientAuthentication } from './flow/client-authentication.ts'
import { jwtBearerParams } from './flow/redeem-id-jag.ts'

/** A client registration at the MCP authorization server. */
export interface IdJagClientRegistration {
  clientId: string
  clientSecret: string
  /** Default `client_secret_basic`. */
  authMethod?: 'client_secret_basic' | 'client_secret_post'
}

export interface IdJagOAuthClientProviderOptions {
  /** The MCP authorization server's issuer; the registration below is bound to it. */
  authorizationServer: string
  /** The MCP server's resource identifier, sent as `resource` (CL-39). */
  resource: string
  /** The client's registration at the MCP authorization server: the `client_id` the IdP puts in the ID-JAG (CL-37). */
  client: IdJagClientRegistration
  /** Scopes to request (CL-40). The SDK passes this back to {@link IdJagOAuthClientProvider.prepareTokenRequest}. */
  scope?: string
  /**
   * Obtains a fresh ID-JAG from the enterprise IdP for this authorization server and resource: in
   * this app, `requestIdJag` with the signed-in user's ID token (RFC 8693, CL-17…CL-30).
   * Called every time the SDK needs a new access token, because an ID-JAG is single-use (CL-44).
   */
  requestIdJag: (request: { scope: string | undefined }) => Promise<string>
  /** Tokens already obtained (e.g. by running the jwt-bearer grant yourself). */
  tokens?: OAuthTokens
  /** Discovery already done (PRM + AS metadata), so the SDK's `auth()` skips its own. */
  discoveryState?: OAuthDiscoveryState
  /** Told about every token set the SDK saves (e.g. to show it). */
  onTokens?: (tokens: OAuthTokens) => void
}

/**
 * An `OAuthClientProvider` for `@modelcontextprotocol/sdk` v1 that obtains MCP access tokens with
 * Enterprise-Managed Authorization (SEP-990): ID token → ID-JAG at the IdP (RFC 8693), then
 * ID-JAG → access token at the MCP authorization server (RFC 7523 jwt-bearer).
 *
 * What it does:
 * - holds the access token for one user and one MCP server (`tokens()`, `saveTokens()`);
 * - returns the pre-registered client for the MCP authorization server (`clientInformation()`),
 *   stamped with that server's issuer, so the SDK never presents it elsewhere;
 * - authenticates token requests as the registration says (`addClientAuthentication`,
 *   `client_secret_basic` or `client_secret_post`);
 * - implements `prepareTokenRequest(scope)` by asking the `requestIdJag` callback for a fresh ID-JAG
 *   and returning the jwt-bearer parameters (`grant_type`, `assertion`, `resource`, `scope`). So when
 *   the MCP server answers 401 (or 403 `insufficient_scope`), the SDK's own `auth()` re-acquires a
 *   token without user interaction. `redirectUrl` is `undefined`, which tells `auth()` the flow is
 *   non-interactive.
 *
 * What it does NOT do:
 * - sign the user in or talk to the IdP itself: the `requestIdJag` callback owns that;
 * - interactive authorization (`redirectToAuthorization`, `codeVerifier` throw), dynamic client
 *   registration, or the CL-09 fallback to the authorization-code flow;
 * - refresh tokens (the profile issues none), DPoP (CL-29, CL-41), or `private_key_jwt` (CL-28);
 * - verify the access token (it is opaque to the client).
 */
export class IdJagOAuthClientProvider implements OAuthClientProvider {
  readonly #options: IdJagOAuthClientProviderOptions
  #tokens: OAuthTokens | undefined
  #discoveryState: OAuthDiscoveryState | undefined

  constructor(options: IdJagOAuthClientProviderOptions) {
    this.#options = options
    this.#tokens = options.tokens
    this.#discoveryState = options.discoveryState
  }

  /** `undefined`: a non-interactive flow, so the SDK calls {@link prepareTokenRequest} instead of redirecting. */
  get redirectUrl(): undefined {
    return undefined
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Acme Agent',
      redirect_uris: [],
      grant_types: [GRANT_TYPE.JWT_BEARER],
      token_endpoint_auth_method: this.#options.client.authMethod ?? 'client_secret_basic',
      ...(this.#options.scope === undefined ? {} : { scope: this.#options.scope }),
    }
  }

  clientInformation(): OAuthClientInformationMixed {
    return {
      client_id: this.#options.client.clientId,
      client_secret: this.#options.client.clientSecret,
      issuer: this.#options.authorizationServer,
    }
  }

  tokens(): OAuthTokens | undefined {
    return this.#tokens
  }

  saveTokens(tokens: OAuthTokens): void {
    this.#tokens = tokens
    this.#options.onTokens?.(tokens)
  }

  /**
   * Gets a fresh ID-JAG from the callback and returns the RFC 7523 jwt-bearer parameters. The SDK adds
   * `resource` again (same value) and client authentication, then POSTs to the token endpoint.
   */
  async prepareTokenRequest(scope?: string): Promise<URLSearchParams> {
    const requested = scope ?? this.#options.scope
    const idJag = await this.#options.requestIdJag({ scope: requested })
    return jwtBearerParams(idJag, this.#options.resource, requested)
  }

  /** CL-37: authenticate with the credentials registered at the MCP authorization server. */
  addClientAuthentication = (headers: Headers, params: URLSearchParams): void => {
    const { clientId, clientSecret, authMethod } = this.#options.client
    applyClientAuthentication({ clientId, clientSecret, authMethod: authMethod ?? 'client_secret_basic' }, headers, params)
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined
    if (scope === 'all' || scope === 'discovery') this.#discoveryState = undefined
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.#discoveryState
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.#discoveryState = state
  }

  redirectToAuthorization(): never {
    throw new Error('IdJagOAuthClientProvider has no interactive flow: the MCP authorization server must accept the ID-JAG (jwt-bearer) grant')
  }

  saveCodeVerifier(): never {
    throw new Error('IdJagOAuthClientProvider has no interactive flow (no PKCE code verifier)')
  }

  codeVerifier(): never {
    throw new Error('IdJagOAuthClientProvider has no interactive flow (no PKCE code verifier)')
  }
}
