import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js'
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js'
import { formatScope, GRANT_TYPE, parseScope } from '@ema/tokens'
import type { ClientRegistration } from './client-registration.ts'
import { applyClientAuthentication } from './client-authentication.ts'
import { FlowError } from './flow-error.ts'
import { jwtBearerParams } from './redeem-id-jag.ts'

/**
 * CL-46 "limit retries": step-ups per connection. One is what a policy change needs; a second covers
 * a tool whose challenge names scopes one at a time. A server asking again after that is refused.
 */
export const MAX_STEP_UPS = 2

export interface IdJagOAuthClientProviderOptions {
  /** The MCP authorization server's issuer; the registration below is bound to it. */
  authorizationServer: string
  /** The MCP server's resource identifier, sent as `resource` (CL-39). */
  resource: string
  /** The client's registration at the MCP authorization server: the `client_id` the IdP puts in the ID-JAG (CL-37). */
  client: ClientRegistration
  /** Scopes to request (CL-40). The SDK passes this back to {@link IdJagOAuthClientProvider.prepareTokenRequest}. */
  scope?: string
  /**
   * Obtains a fresh ID-JAG from the enterprise IdP for this authorization server and resource, e.g.
   * `requestIdJag` with the signed-in user's ID token (RFC 8693, CL-17…CL-30). Called every time a new
   * access token is needed, because an ID-JAG is single-use (CL-44).
   */
  obtainIdJag: (request: { scope: string | undefined }) => Promise<string>
  /** `client_name` in the client metadata the SDK reads; default "MCP client". */
  clientName?: string
  /** Tokens already obtained (e.g. by running the jwt-bearer grant yourself). */
  tokens?: OAuthTokens
  /** Discovery already done (PRM + AS metadata), so the SDK's `auth()` skips its own. */
  discoveryState?: OAuthDiscoveryState
  /** Told about every access token saved, the first one and each later one (e.g. to keep it). */
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
 * - authenticates token requests with the method chosen from the registration and the server's
 *   metadata (`addClientAuthentication`: `private_key_jwt`, `client_secret_basic` or
 *   `client_secret_post`; CL-28, CL-37);
 * - on 403 `insufficient_scope` (reported by `connectMcp` through {@link noteInsufficientScope}),
 *   asks for the union of the scopes it requested before and the challenged ones (CL-46, MCP 2026-07
 *   step-up), at most {@link MAX_STEP_UPS} times per connection;
 * - implements `prepareTokenRequest(scope)` by asking the `obtainIdJag` callback for a fresh ID-JAG
 *   and returning the jwt-bearer parameters (`grant_type`, `assertion`, `resource`, `scope`). So when
 *   the MCP server answers 401 (or 403 `insufficient_scope`), the SDK's own `auth()` re-acquires a
 *   token without user interaction. `redirectUrl` is `undefined`, which tells `auth()` the flow is
 *   non-interactive.
 *
 * What it does NOT do:
 * - sign the user in or talk to the IdP itself: the `obtainIdJag` callback owns that;
 * - interactive authorization (`redirectToAuthorization`, `codeVerifier` throw), dynamic client
 *   registration, or the CL-09 fallback to the authorization-code flow;
 * - refresh tokens (the profile issues none), or DPoP (CL-29, CL-41);
 * - verify the access token (it is opaque to the client).
 */
export class IdJagOAuthClientProvider implements OAuthClientProvider {
  readonly #options: IdJagOAuthClientProviderOptions
  #tokens: OAuthTokens | undefined
  #discoveryState: OAuthDiscoveryState | undefined
  /** Every scope asked for so far: a step-up adds to it, never replaces it (CL-46). */
  #requestedScope: string | undefined
  /** Set by a 403 `insufficient_scope` (the challenged scope), until the step-up it causes. */
  #pendingStepUp: string | undefined
  /** Step-ups made on this connection (CL-46: limit retries). */
  #stepUps = 0

  constructor(options: IdJagOAuthClientProviderOptions) {
    this.#options = options
    this.#requestedScope = options.scope
    this.#tokens = options.tokens
    this.#discoveryState = options.discoveryState
  }

  /** `undefined`: a non-interactive flow, so the SDK calls {@link prepareTokenRequest} instead of redirecting. */
  get redirectUrl(): undefined {
    return undefined
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.#options.clientName ?? 'MCP client',
      redirect_uris: [],
      grant_types: [GRANT_TYPE.JWT_BEARER],
      token_endpoint_auth_method:
        this.#options.client.authMethod ??
        (this.#options.client.privateJwk === undefined ? 'client_secret_basic' : 'private_key_jwt'),
      // The SDK (1.x) passes this, not the challenged scope, to prepareTokenRequest: so it is the union so far.
      ...(this.#requestedScope === undefined ? {} : { scope: this.#requestedScope }),
    }
  }

  clientInformation(): OAuthClientInformationMixed {
    const { clientId, clientSecret } = this.#options.client
    return {
      client_id: clientId,
      ...(clientSecret === undefined ? {} : { client_secret: clientSecret }),
      issuer: this.#options.authorizationServer,
    }
  }

  tokens(): OAuthTokens | undefined {
    return this.#tokens
  }

  /**
   * Keeps the access token the SDK or `redeemIdJag` obtained, and tells `onTokens`.
   * @throws {FlowError} `invalid_response` unless `token_type` is Bearer: this client only sends
   *   Bearer tokens (CL-42).
   */
  saveTokens(tokens: OAuthTokens): void {
    if (tokens.token_type.toLowerCase() !== 'bearer') {
      throw new FlowError(
        'invalid_response',
        `The MCP authorization server returned token_type "${tokens.token_type}"; this client only sends Bearer tokens (CL-42)`,
      )
    }
    this.#tokens = tokens
    this.#options.onTokens?.(tokens)
  }

  /**
   * Gets a fresh ID-JAG from `obtainIdJag` and returns the RFC 7523 jwt-bearer parameters. The SDK adds
   * `resource` again (same value) and client authentication, then POSTs to the token endpoint.
   *
   * `scope` is what the SDK passes: in SDK 1.x always `clientMetadata.scope`, i.e. the union so far.
   * After a 403 {@link noteInsufficientScope} this is a step-up (CL-46): refused with
   * `insufficient_scope` once {@link MAX_STEP_UPS} step-ups have been made, whatever the SDK would
   * do next (the limit is ours, not a library default).
   */
  async prepareTokenRequest(scope?: string): Promise<URLSearchParams> {
    this.#widen(scope)
    if (this.#pendingStepUp !== undefined) {
      const challenged = this.#pendingStepUp
      this.#pendingStepUp = undefined
      if (this.#stepUps >= MAX_STEP_UPS) {
        throw new FlowError(
          'insufficient_scope',
          `The MCP server still asks for more scope (${challenged ?? 'unnamed'}) after ${MAX_STEP_UPS} step-up(s) to "${this.#requestedScope ?? ''}", so this client stopped asking (CL-46); the IdP's policy does not grant it`,
        )
      }
      this.#stepUps += 1
    }
    const requested = this.#requestedScope
    const idJag = await this.#options.obtainIdJag({ scope: requested })
    return jwtBearerParams(idJag, this.#options.resource, requested)
  }

  /**
   * CL-46: the MCP server answered 403 `insufficient_scope` naming `challenged`; the next token request
   * is a step-up that asks for the union of everything requested so far and `challenged`. Called by
   * whoever sees the response (`connectMcp`), because SDK 1.x does not pass the challenged scope to
   * {@link prepareTokenRequest}.
   */
  noteInsufficientScope(challenged: string | undefined): void {
    this.#widen(challenged)
    this.#pendingStepUp = challenged ?? ''
  }

  #widen(scope: string | undefined): void {
    const union = [...new Set([...parseScope(this.#requestedScope), ...parseScope(scope)])]
    this.#requestedScope = union.length === 0 ? undefined : formatScope(union)
  }

  /** The scopes asked for so far (the configured ones plus every step-up, CL-46). */
  get requestedScope(): string | undefined {
    return this.#requestedScope
  }

  /** CL-28, CL-37: authenticate with the method chosen from the registration and the server's metadata. */
  addClientAuthentication = async (
    headers: Headers,
    params: URLSearchParams,
    url: string | URL,
    metadata?: { issuer?: string; token_endpoint_auth_methods_supported?: string[] },
  ): Promise<void> => {
    await applyClientAuthentication(
      this.#options.client,
      {
        name: 'the MCP authorization server',
        tokenEndpoint: String(url),
        issuer: metadata?.issuer ?? this.#options.authorizationServer,
        authMethodsSupported: metadata?.token_endpoint_auth_methods_supported,
      },
      headers,
      params,
    )
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
    throw new Error(
      'IdJagOAuthClientProvider has no interactive flow: the MCP authorization server must accept the ID-JAG (jwt-bearer) grant',
    )
  }

  saveCodeVerifier(): never {
    throw new Error('IdJagOAuthClientProvider has no interactive flow (no PKCE code verifier)')
  }

  codeVerifier(): never {
    throw new Error('IdJagOAuthClientProvider has no interactive flow (no PKCE code verifier)')
  }
}
