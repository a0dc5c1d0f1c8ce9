import {
  formatScope,
  InvalidRequestError,
  signAccessToken,
  TOKEN_RESPONSE_TYPE,
  TOKEN_TYPE,
  type ActorClaim,
  type SigningKey,
  type SubjectAccessTokenClaims,
} from '@ema/tokens'
import type { DownstreamApi } from '../config.ts'
import type { AuthenticatedClient } from './require-confidential-client.ts'

export interface IssueDownstreamTokenOptions {
  issuer: string
  subject: SubjectAccessTokenClaims
  client: AuthenticatedClient
  api: DownstreamApi
  scope: readonly string[]
  act: ActorClaim
  /** RFC 8705 §3.1: the SHA-256 thumbprint of the client's certificate, when it authenticated with one. */
  certificateThumbprint?: string
  /** The longest lifetime configured for access tokens (AS-39); the subject token's remaining lifetime caps it. */
  maxLifetimeSeconds: number
  now: Date
  key: SigningKey
}

/** RFC 8693 §2.2.1 as profiled by OBO-15: no `refresh_token`. */
export interface DownstreamTokenResponse {
  access_token: string
  issued_token_type: typeof TOKEN_TYPE.ACCESS_TOKEN
  token_type: typeof TOKEN_RESPONSE_TYPE.BEARER
  expires_in: number
  scope: string
}

/**
 * OBO-12, OBO-15: signs the RFC 9068 access token for the downstream API and builds the response.
 *
 * The user is unchanged (`sub`, and `idp`/`idp_sub` when the subject token has them), `aud` is the
 * API, `client_id` is the exchanging client (the current actor), `act` the actor chain, `exp` never
 * later than the subject token's, and `cnf.x5t#S256` when the client authenticated with a certificate.
 *
 * @throws {InvalidRequestError} when the subject token has less than a second left (it was accepted
 *   within the clock skew): nothing could be issued that expires in time.
 */
export async function issueDownstreamToken(options: IssueDownstreamTokenOptions): Promise<DownstreamTokenResponse> {
  const now = Math.floor(options.now.getTime() / 1000)
  const remaining = options.subject.exp - now
  if (remaining < 1)
    throw new InvalidRequestError('the subject_token has expired or expires within a second; exchange a fresh one')
  const lifetime = Math.min(options.maxLifetimeSeconds, remaining) // OBO-12: never outlives the subject token
  const scope = formatScope(options.scope)
  const accessToken = await signAccessToken({
    issuer: options.issuer,
    subject: options.subject.sub, // OBO-12: the same user
    audience: options.api.identifier, // OBO-12: the downstream API
    clientId: options.client.clientId, // OBO-12: the current actor's client
    scope,
    expiresInSeconds: lifetime,
    now: options.now,
    key: options.key,
    extraClaims: {
      ...(typeof options.subject.idp === 'string' ? { idp: options.subject.idp } : {}),
      ...(typeof options.subject.idp_sub === 'string' ? { idp_sub: options.subject.idp_sub } : {}),
      act: options.act, // OBO-12, RFC 8693 §4.1
      ...(options.certificateThumbprint === undefined ? {} : { cnf: { 'x5t#S256': options.certificateThumbprint } }), // RFC 8705 §3.1
    },
  })
  return {
    access_token: accessToken,
    issued_token_type: TOKEN_TYPE.ACCESS_TOKEN, // OBO-15
    token_type: TOKEN_RESPONSE_TYPE.BEARER,
    expires_in: lifetime,
    scope, // OBO-15: always sent, so a narrowed grant is visible
  }
}
