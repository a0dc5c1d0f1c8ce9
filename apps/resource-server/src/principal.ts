import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'

/**
 * Who is calling: the access token's (`client_id`, `iss`, `sub`). It is the one source of identity
 * for session binding (RS-19) and, as (`iss`, `sub`), the owner of per-user data.
 */
export interface Principal {
  client_id: string | undefined
  iss: string | undefined
  sub: string | undefined
}

/** Reads the principal from the AuthInfo that `requireBearerToken` attached. Absent parts stay `undefined`. */
export function principalOf(authInfo: AuthInfo): Principal {
  const extra = authInfo.extra ?? {}
  return {
    client_id: authInfo.clientId,
    iss: typeof extra['iss'] === 'string' ? extra['iss'] : undefined,
    sub: typeof extra['sub'] === 'string' ? extra['sub'] : undefined,
  }
}

/** RS-19: components a verifier does not supply compare as absent, i.e. `undefined` equals only `undefined`. */
export function samePrincipal(a: Principal, b: Principal): boolean {
  return a.client_id === b.client_id && a.iss === b.iss && a.sub === b.sub
}
