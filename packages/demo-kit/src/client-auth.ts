/**
 * How a client authenticates a request to a token endpoint: it adds to the request's headers and
 * form body. `clientSecretBasic` and `clientSecretPost` cover the shared-secret methods; a caller
 * with a key writes its own (private_key_jwt: `client_id`, `client_assertion_type` and a signed
 * `client_assertion` in the body), which keeps this package free of any JOSE library.
 */
export type ClientAuthentication = (headers: Record<string, string>, body: URLSearchParams) => void | Promise<void>

/** RFC 6749 §2.3.1: the Authorization header value, HTTP Basic over the form-urlencoded id and secret. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+')
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`
}

/** client_secret_basic. */
export function clientSecretBasic(clientId: string, clientSecret: string): ClientAuthentication {
  return (headers) => {
    headers.authorization = basicAuthorization(clientId, clientSecret)
  }
}

/** client_secret_post: the id and secret in the form body. */
export function clientSecretPost(clientId: string, clientSecret: string): ClientAuthentication {
  return (_headers, body) => {
    body.set('client_id', clientId)
    body.set('client_secret', clientSecret)
  }
}
