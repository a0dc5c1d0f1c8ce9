import { inspectJwt } from '@ema/tokens'
import { FlowError } from '@ema/id-jag-client'
import type { AgentConfig } from './agent-config.ts'
import type { AgentState } from './agent-state.ts'
import { ID_TOKEN_EXPIRY_MARGIN_MS } from './connect-as-signed-in-user.ts'

/**
 * An ID token handed over on stdin. Its signature is not checked here: the IdP verifies it at the
 * token exchange (IDP-05, IDP-06). Only what would make the exchange fail for sure is refused early.
 */
export function stateFromIdToken(config: AgentConfig, idToken: string, now: number): AgentState {
  const claims = inspectJwt(idToken)?.claims
  if (claims === undefined) throw new FlowError('invalid_request', 'Standard input does not hold an ID token (a JWT)')
  if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number')
    throw new FlowError('invalid_request', 'The ID token has no sub or exp')
  if (claims.exp * 1000 - now <= ID_TOKEN_EXPIRY_MARGIN_MS)
    throw new FlowError(
      'invalid_request',
      'The ID token has expired, or expires within a minute; sign in again for a fresh one',
    )
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (!audiences.includes(config.idpClient.clientId)) {
    throw new FlowError(
      'invalid_request',
      `The ID token was issued to ${audiences.join(', ')}, not to ${config.idpClient.clientId}; the IdP would refuse to exchange it (IDP-06)`,
    )
  }
  return {
    version: 1,
    idpIssuer: config.idpIssuer,
    clientId: config.idpClient.clientId,
    user: { sub: claims.sub },
    idToken,
    idTokenExpiresAt: claims.exp * 1000,
  }
}
