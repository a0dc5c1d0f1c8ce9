/**
 * How a client authenticates a request to a token endpoint: it adds to the request's headers and
 * form body, one value per RFC 7591 `token_endpoint_auth_method`. For private_key_jwt the caller
 * signs the client assertion (`privateKeyJwt` takes a function that makes one), which keeps this
 * package free of any JOSE library.
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

/** private_key_jwt (RFC 7523 §2.2): `client_id` and a client assertion the caller signs, fresh per request. */
export function privateKeyJwt(clientId: string, clientAssertion: () => Promise<string>): ClientAuthentication {
  return async (_headers, body) => {
    body.set('client_id', clientId)
    body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    body.set('client_assertion', await clientAssertion())
  }
}

/** none (RFC 7591 §2): a public client identifies itself with `client_id` and proves nothing. */
export function publicClient(clientId: string): ClientAuthentication {
  return (_headers, body) => {
    body.set('client_id', clientId)
  }
}
