import * as oidc from 'openid-client'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import { WELL_KNOWN } from '@ema/tokens'
import { connectMcp, discoverProtectedResource, FlowError } from '@ema/id-jag-client'
import { z } from 'zod'
import type { ClientConfig } from './config.ts'
import { DISPLAY_NAMES } from './connect-to-tasks.ts'
import type { Session } from './session-store.ts'

/** The callback of the classic flow, below CLIENT_URL: the redirect URI registered at the MCP authorization server. */
export const CLASSIC_CALLBACK_PATH = '/classic/callback'

/** RFC 8414 metadata: the members the classic flow uses. */
const ClassicServerMetadata = z.looseObject({
  issuer: z.string().min(1),
  authorization_endpoint: z.string().min(1),
  token_endpoint: z.string().min(1),
  code_challenge_methods_supported: z.array(z.string()).optional(),
})

const TokenResponse = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string(),
  scope: z.string().optional(),
})
const OAuthError = z.looseObject({ error: z.string(), error_description: z.string().optional() })

export interface ClassicConnectDeps {
  /** The recorded fetch: every request becomes an arrow of the session's diagram. */
  fetch: typeof fetch
}

/**
 * The same connection the classic MCP way (MCP authorization, no enterprise-managed authorization):
 * the MCP authorization server's own authorization code flow with PKCE S256, `state` and `resource`
 * (RFC 8707), its sign-in federated to the IdP and its consent screen; then the code is redeemed at its
 * token endpoint (`client_secret_basic`, the `code_verifier`) and the MCP connection opened with that
 * token. Uses Acme Agent's second registration there (an interactive client, decision 0050), never the
 * EMA one. Shown beside the enterprise way by the page's toggle (DEMO_CLASSIC=true).
 */
export class ClassicConnect {
  readonly #config: ClientConfig
  readonly #client: NonNullable<ClientConfig['classicClient']>
  readonly #deps: ClassicConnectDeps

  constructor(config: ClientConfig, client: NonNullable<ClientConfig['classicClient']>, deps: ClassicConnectDeps) {
    this.#config = config
    this.#client = client
    this.#deps = deps
  }

  get redirectUri(): string {
    return `${this.#config.clientUrl}${CLASSIC_CALLBACK_PATH}`
  }

  /**
   * Discovers the MCP server's authorization server (RFC 9728, then RFC 8414), remembers state and the
   * PKCE verifier in the session and returns the authorization request's URL.
   */
  async start(session: Session): Promise<URL> {
    const { fetch } = this.#deps
    const resource = await discoverProtectedResource({
      mcpServerUrl: this.#config.mcpServerUrl,
      expectedAuthorizationServer: this.#config.expectedAuthorizationServer,
      fetch,
      allowInsecureHttp: this.#config.allowInsecureHttp,
    })
    const issuer = resource.authorizationServer
    const metadataUrl = new URL(
      `${WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER}${new URL(issuer).pathname.replace(/\/$/, '')}`,
      issuer,
    )
    const response = await fetch(metadataUrl)
    const parsed = ClassicServerMetadata.safeParse(await response.json().catch(() => undefined))
    if (!response.ok || !parsed.success)
      throw new FlowError(
        'invalid_metadata',
        `The MCP authorization server's metadata at ${metadataUrl.href} could not be read`,
        {
          refusedBy: 'authorization_server',
        },
      )
    const metadata = parsed.data
    if (metadata.issuer !== issuer)
      throw new FlowError(
        'invalid_metadata',
        `The metadata names the issuer "${metadata.issuer}", not "${issuer}" (RFC 8414 §3.3)`,
      )
    if (!(metadata.code_challenge_methods_supported ?? []).includes('S256'))
      throw new FlowError(
        'invalid_metadata',
        'The MCP authorization server does not advertise PKCE S256, which MCP requires',
      )
    const codeVerifier = oidc.randomPKCECodeVerifier()
    const state = oidc.randomState()
    const url = new URL(metadata.authorization_endpoint)
    const params = {
      response_type: 'code',
      client_id: this.#client.clientId,
      redirect_uri: this.redirectUri,
      scope: this.#config.scope,
      resource: this.#config.mcpServerUrl, // RFC 8707: the token is for this MCP server only
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
    }
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
    session.pendingClassic = { state, codeVerifier, issuer, tokenEndpoint: metadata.token_endpoint }
    return url
  }

  /**
   * At `/classic/callback`: checks `state` and `iss` (RFC 9207), redeems the code with the PKCE
   * verifier and opens the MCP connection with the access token. Keeps the connection in the session.
   * @throws {FlowError} on a refusal (the user denied: `access_denied`) or a response that does not fit.
   */
  async finish(session: Session, callbackUrl: URL): Promise<void> {
    const pending = session.pendingClassic
    delete session.pendingClassic // one use only
    const query = callbackUrl.searchParams
    if (pending === undefined || query.get('state') !== pending.state)
      throw new FlowError(
        'invalid_request',
        'This response does not belong to a connection started here (state); connect again',
      )
    const iss = query.get('iss')
    if (iss !== null && iss !== pending.issuer)
      throw new FlowError(
        'invalid_request',
        `The response names the issuer "${iss}", not "${pending.issuer}" (RFC 9207)`,
      )
    const error = query.get('error')
    if (error !== null)
      throw new FlowError(error, query.get('error_description') ?? `The MCP authorization server answered ${error}`, {
        refusedBy: 'authorization_server',
      })
    const code = query.get('code')
    if (code === null) throw new FlowError('invalid_request', 'The response carries no code; connect again')

    const basic = Buffer.from(
      `${encodeURIComponent(this.#client.clientId)}:${encodeURIComponent(this.#client.clientSecret ?? '')}`,
    ).toString('base64')
    const response = await this.#deps.fetch(pending.tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        authorization: `Basic ${basic}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: this.redirectUri,
        code_verifier: pending.codeVerifier,
        resource: this.#config.mcpServerUrl,
      }),
    })
    const body: unknown = await response.json().catch(() => undefined)
    if (!response.ok) {
      const refusal = OAuthError.safeParse(body)
      throw new FlowError(
        refusal.success ? refusal.data.error : 'invalid_response',
        refusal.success
          ? (refusal.data.error_description ?? `The token endpoint answered ${refusal.data.error}`)
          : `The token endpoint answered HTTP ${response.status}`,
        { status: response.status, refusedBy: 'authorization_server' },
      )
    }
    const tokens = TokenResponse.safeParse(body)
    if (!tokens.success || tokens.data.token_type.toLowerCase() !== 'bearer')
      throw new FlowError('invalid_response', 'The token endpoint did not return a Bearer access token')

    await session.mcp?.close().catch(() => {})
    delete session.mcp
    const connection = await connectMcp({
      mcpServerUrl: this.#config.mcpServerUrl,
      authProvider: staticTokenProvider(tokens.data.access_token, this.redirectUri),
      fetch: this.#deps.fetch,
      serverName: DISPLAY_NAMES.serverName,
      clientInfo: { name: 'acme-agent', version: '0.1.0' },
    })
    session.mcp = connection
    session.tools = connection.tools
    session.grantedScope = tokens.data.scope
  }
}

/**
 * The SDK's auth provider for a token obtained beforehand: it supplies the token, and when the MCP server
 * refuses it, it does not start another flow from inside a tool call: the user connects again.
 */
function staticTokenProvider(accessToken: string, redirectUri: string): OAuthClientProvider {
  const again = (): never => {
    throw new FlowError('invalid_token', 'The MCP server refused the access token of the classic flow; connect again', {
      refusedBy: 'mcp_server',
    })
  }
  return {
    get redirectUrl() {
      return redirectUri
    },
    get clientMetadata() {
      return { redirect_uris: [redirectUri], client_name: 'Acme Agent (classic MCP authorization)' }
    },
    clientInformation: () => undefined,
    tokens: () => ({ access_token: accessToken, token_type: 'Bearer' }),
    saveTokens: () => {},
    redirectToAuthorization: again,
    saveCodeVerifier: () => {},
    codeVerifier: again,
  }
}
