import type { ClientAuthMethod, ClientRegistration } from './client-registration.ts'
import { FlowError } from './flow-error.ts'

/**
 * RFC 8414 §2: when `token_endpoint_auth_methods_supported` is omitted, the default is
 * `client_secret_basic`.
 */
const DEFAULT_TOKEN_ENDPOINT_AUTH_METHODS: readonly string[] = ['client_secret_basic']

/** A token endpoint being called: who it is, where, and what its metadata advertises. */
export interface TokenEndpointServer {
  /** Shown in messages: the IdP's name from configuration, or "the MCP authorization server". */
  name: string
  tokenEndpoint: string
  /**
   * The server's issuer identifier: the `aud` of a `private_key_jwt` assertion (RFC 7523 §3 allows
   * the issuer or the token endpoint; the issuer is the unambiguous choice). Falls back to
   * {@link tokenEndpoint} when unknown.
   */
  issuer?: string | undefined
  /** Its `token_endpoint_auth_methods_supported` (RFC 8414 §2), if it publishes one. */
  authMethodsSupported?: readonly string[] | undefined
}

/** The chosen method and why, for the page (a step note). */
export interface ClientAuthChoice {
  method: ClientAuthMethod
  reason: string
}

/**
 * Chooses how to authenticate at one token endpoint, from the client's registration there and the
 * server's metadata (CL-27, CL-28, CL-37):
 * - a registration that pins `authMethod` (the server registered it) uses exactly that; it is
 *   refused up front when the server's metadata publishes a list without it, and used as is when
 *   the metadata publishes none;
 * - otherwise the strongest method the registration holds a credential for and the server lists:
 *   `private_key_jwt` first (CL-28 SHOULD: strong client authentication), then
 *   `client_secret_basic`, then `client_secret_post`.
 *
 * Does NOT consider `none`: a registration is a confidential client (public identifications are
 * handled by the caller, see `client-authentication.ts`).
 * @throws {FlowError} `unsupported_client_authentication` when the two sides share no method, or the
 *   registration lacks the credential its pinned method needs.
 */
export function chooseClientAuthMethod(
  client: ClientRegistration,
  server: Pick<TokenEndpointServer, 'name' | 'authMethodsSupported'>,
): ClientAuthChoice {
  const listed = server.authMethodsSupported
  const supported = listed ?? DEFAULT_TOKEN_ENDPOINT_AUTH_METHODS
  const source = listed === undefined ? 'the RFC 8414 default, as the metadata lists none' : 'listed in its metadata'
  const held = heldMethods(client)

  if (client.authMethod !== undefined) {
    if (!held.includes(client.authMethod)) {
      throw new FlowError(
        'unsupported_client_authentication',
        `This client is registered at ${server.name} for ${client.authMethod}, but holds no ${client.authMethod === 'private_key_jwt' ? 'private key' : 'client secret'} for it; check its configuration`,
      )
    }
    // The registration is the better evidence when the metadata is silent: RFC 8414's default only
    // says what a server supports at the least, not what it registered this client for.
    if (listed === undefined)
      return {
        method: client.authMethod,
        reason: `${client.authMethod}: the registered method (the metadata lists no methods)`,
      }
    if (!listed.includes(client.authMethod)) {
      throw new FlowError(
        'unsupported_client_authentication',
        `This client is registered at ${server.name} for ${client.authMethod}, but ${server.name} supports only ${listed.join(', ')} (${source})`,
      )
    }
    return { method: client.authMethod, reason: `${client.authMethod}: the registered method, ${source}` }
  }

  const method = held.find((candidate) => supported.includes(candidate))
  if (method === undefined) {
    const holds = held.length === 0 ? 'no credential' : `credentials for ${held.join(', ')}`
    throw new FlowError(
      'unsupported_client_authentication',
      `This client holds ${holds} at ${server.name}, which supports only ${supported.join(', ')} (${source}), so it cannot authenticate there`,
    )
  }
  return {
    method,
    reason: `${method}: the strongest method this client holds that ${server.name} supports (${source})`,
  }
}

/** The methods a registration holds credentials for, strongest first (CL-28). */
function heldMethods(client: ClientRegistration): ClientAuthMethod[] {
  const methods: ClientAuthMethod[] = []
  if (client.privateJwk !== undefined) methods.push('private_key_jwt')
  if (client.clientSecret !== undefined && client.clientSecret !== '')
    methods.push('client_secret_basic', 'client_secret_post')
  return methods
}
