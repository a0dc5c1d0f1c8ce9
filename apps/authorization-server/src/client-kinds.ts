import { TOKEN_EXCHANGE_PROFILE } from '@ema/tokens'
import type { RegisteredClient } from './config.ts'

/** Decision 0050: the client uses the authorization code flow (it registered redirect URIs). */
export function isInteractiveClient(client: RegisteredClient): boolean {
  return client.redirect_uris !== undefined
}

/** OBO-10: the client is switched on for the on-behalf-of token exchange (Auth0's configuration shape). */
export function isOnBehalfOfClient(client: RegisteredClient): boolean {
  return client.token_exchange?.allow_any_profile_of_type.includes(TOKEN_EXCHANGE_PROFILE.ON_BEHALF_OF) === true
}
