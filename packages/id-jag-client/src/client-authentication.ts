import { CLIENT_ASSERTION_TYPE, importSigningKey, signClientAssertion, type SigningKey } from '@ema/tokens'
import type { JWK } from 'jose'
import type { ClientRegistration } from './client-registration.ts'
import { type ClientAuthChoice, chooseClientAuthMethod, type TokenEndpointServer } from './choose-client-auth-method.ts'

/**
 * A client that identifies itself at a token endpoint without authenticating: RFC 7591 §2
 * `token_endpoint_auth_method` `none` (a public client). Only `client_id` is sent, in the body.
 * Used where the token endpoint does not require client authentication (CL-27 is conditional), e.g.
 * the conformance suite's IdP, which gives the client no IdP secret.
 */
export interface PublicClientIdentification {
  clientId: string
  authMethod: 'none'
}

/** Who the client is at a token endpoint: a registration with credentials, or a public identification. */
export type TokenEndpointClient = ClientRegistration | PublicClientIdentification

/** What was used, for the page. */
export type AppliedClientAuthentication = ClientAuthChoice | { method: 'none'; reason: string }

/** Client assertions are short-lived: RFC 7523 §3 item 4 wants an `exp`; a minute covers clock skew. */
const CLIENT_ASSERTION_LIFETIME_SECONDS = 60

/**
 * Adds client authentication to a token request (RFC 6749 §2.3.1, RFC 7523 §2.2), with the method
 * {@link chooseClientAuthMethod} picks from the registration and the server's metadata (CL-27,
 * CL-28, CL-37):
 * - `client_secret_basic`: HTTP Basic with the form-urlencoded id and secret;
 * - `client_secret_post`: `client_id` and `client_secret` in the body;
 * - `private_key_jwt`: `client_assertion_type` jwt-bearer and a fresh signed `client_assertion`
 *   (`iss` = `sub` = client_id, `aud` = the server's issuer, unique `jti`, 60 s `exp`), plus `client_id`;
 * - `none` (a {@link PublicClientIdentification}): `client_id` in the body, no credential at all.
 * Whatever is not the chosen method is removed, so two methods never travel together
 * (RFC 6749 §2.3: a client MUST NOT use more than one authentication method in a request).
 *
 * Does NOT send the request: the caller (`postTokenRequest`, the SDK, openid-client) does.
 * @throws {FlowError} `unsupported_client_authentication` when client and server share no method.
 */
export async function applyClientAuthentication(
  client: TokenEndpointClient,
  target: TokenEndpointServer,
  headers: Headers,
  params: URLSearchParams,
  now: Date = new Date(),
): Promise<AppliedClientAuthentication> {
  headers.delete('authorization')
  for (const name of ['client_secret', 'client_assertion', 'client_assertion_type']) params.delete(name)
  if (client.authMethod === 'none') {
    // RFC 7591 §2 `none`: identify, never authenticate.
    params.set('client_id', client.clientId)
    return {
      method: 'none',
      reason:
        'none: a public identification (client_id only), as this token endpoint requires no client authentication',
    }
  }
  const choice = chooseClientAuthMethod(client, target)
  if (choice.method === 'client_secret_basic') {
    const credentials = `${formEncode(client.clientId)}:${formEncode(client.clientSecret ?? '')}`
    headers.set('authorization', `Basic ${Buffer.from(credentials).toString('base64')}`)
    params.delete('client_id')
  } else if (choice.method === 'client_secret_post') {
    params.set('client_id', client.clientId)
    params.set('client_secret', client.clientSecret ?? '')
  } else {
    const key = await signingKeyOf(client.privateJwk!)
    params.set('client_id', client.clientId)
    params.set('client_assertion_type', CLIENT_ASSERTION_TYPE.JWT_BEARER) // CL-28, RFC 7523 §2.2
    params.set(
      'client_assertion',
      await signClientAssertion({
        clientId: client.clientId,
        audience: target.issuer ?? target.tokenEndpoint,
        now,
        key,
        expiresInSeconds: CLIENT_ASSERTION_LIFETIME_SECONDS,
      }),
    )
  }
  return choice
}

/** Each configured private JWK is imported once (importing is the slow part of signing). */
const importedKeys = new WeakMap<JWK, Promise<SigningKey>>()
function signingKeyOf(jwk: JWK): Promise<SigningKey> {
  let key = importedKeys.get(jwk)
  if (key === undefined) {
    key = importSigningKey(jwk)
    importedKeys.set(jwk, key)
  }
  return key
}

/** RFC 6749 §2.3.1 / Appendix B: application/x-www-form-urlencoded, space as `+`. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}
