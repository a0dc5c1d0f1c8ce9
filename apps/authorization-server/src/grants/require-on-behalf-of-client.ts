import { TOKEN_EXCHANGE_PROFILE, UnauthorizedClientError } from '@ema/tokens'
import { isOnBehalfOfClient } from '../client-kinds.ts'
import type { RegisteredClient } from '../config.ts'
import type { AuthenticatedClient } from './require-confidential-client.ts'

/** A client switched on for the on-behalf-of exchange, and the MCP server it is tied to. */
export interface OnBehalfOfClient extends AuthenticatedClient {
  /** OBO-10: the MCP server's resource identifier; the subject token's `aud` must be exactly this. */
  mcpServer: string
}

/**
 * OBO-10: the on-behalf-of token exchange is open only to a client switched on for it, with Auth0's
 * shape `token_exchange: { allow_any_profile_of_type: ["on_behalf_of_token_exchange"] }`, and tied to
 * one MCP server (`resource_server_identifier`; loadConfig refuses a switched-on client without one).
 * Off or absent → `unauthorized_client` (RFC 6749 §5.2: this client may not use this grant type).
 */
export function requireOnBehalfOfClient(
  client: AuthenticatedClient,
  clients: readonly RegisteredClient[],
): OnBehalfOfClient {
  const registered = clients.find((candidate) => candidate.client_id === client.clientId)
  if (
    registered === undefined ||
    !isOnBehalfOfClient(registered) ||
    registered.resource_server_identifier === undefined
  ) {
    throw new UnauthorizedClientError(
      `client ${client.clientId} is not switched on for the on-behalf-of token exchange; ` +
        `register it with token_exchange.allow_any_profile_of_type ["${TOKEN_EXCHANGE_PROFILE.ON_BEHALF_OF}"] and the resource_server_identifier of its MCP server`,
    )
  }
  return { ...client, mcpServer: registered.resource_server_identifier }
}
