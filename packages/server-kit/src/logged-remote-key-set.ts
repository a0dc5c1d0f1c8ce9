import { remoteKeySet } from '@ema/tokens'
import type { JWTVerifyGetKey } from 'jose'
import { describeCause } from './describe-cause.ts'
import type { LogFields, Logger } from './logger.ts'

export interface LoggedRemoteKeySetOptions {
  /** Plain http to a loopback JWKS (ALLOW_INSECURE_HTTP, decision 0024); `remoteKeySet` refuses anything else. */
  allowInsecureHttp: boolean
  log: Logger
  /** Whose keys, for the warning: `the authorization server`, `the IdP`. */
  owner: string
  /** More fields for the warning (the IdP's issuer …). */
  fields?: LogFields
}

/**
 * A role's one cached, rate-limited key set for a JWKS it trusts (tokens' `remoteKeySet`), built once
 * at start-up. During a JWKS outage the last good set keeps serving for an hour (decision 0014), and
 * each use of it is logged as a warning naming the owner, the JWKS URL, the keys' age and the cause.
 * @throws {TypeError} when the URL breaks the insecure-http rule: call it inside `startOrExit`.
 */
export function loggedRemoteKeySet(jwksUri: string, options: LoggedRemoteKeySetOptions): JWTVerifyGetKey {
  return remoteKeySet(jwksUri, {
    allowInsecureHttp: options.allowInsecureHttp,
    onStaleKeys: (cause, ageMs) =>
      options.log.warn(`${options.owner} JWKS cannot be fetched; using the last good keys`, {
        ...options.fields,
        jwks_uri: jwksUri,
        age_s: Math.round(ageMs / 1000),
        cause: describeCause(cause),
      }),
  })
}
