import { CLIENT_AUTH_METHOD } from '@ema/tokens'
import type { JWK } from 'jose'

/**
 * Token endpoint client authentication methods this client supports (RFC 7591 §2 names): the two
 * shared-secret methods of RFC 6749 §2.3.1 and `private_key_jwt` (RFC 7523 §2.2, CL-28).
 */
export const CLIENT_AUTH_METHODS = [
  CLIENT_AUTH_METHOD.CLIENT_SECRET_BASIC,
  CLIENT_AUTH_METHOD.CLIENT_SECRET_POST,
  CLIENT_AUTH_METHOD.PRIVATE_KEY_JWT,
] as const
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number]

/**
 * One registration of this client at one authorization server: its `client_id` there and the
 * credentials it holds. A registration may hold a secret, a private key, or both; which method is
 * used at each token endpoint is chosen from the server's metadata (`chooseClientAuthMethod`),
 * unless {@link authMethod} pins the registered one.
 */
export interface ClientRegistration {
  clientId: string
  /** The shared secret, for `client_secret_basic` / `client_secret_post`. */
  clientSecret?: string | undefined
  /** A private JWK with `alg` (and ideally `kid`), for `private_key_jwt`. Never log it. */
  privateJwk?: JWK | undefined
  /** The `token_endpoint_auth_method` the server registered (RFC 7591 §2); unset = choose from metadata. */
  authMethod?: ClientAuthMethod | undefined
}
