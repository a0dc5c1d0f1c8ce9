/**
 * A client certificate for mutual-TLS client authentication at the token endpoint (RFC 8705 §2,
 * `tls_client_auth` or `self_signed_tls_client_auth`). Each part is a PEM string or a file holding one.
 */
export interface ClientCertificate {
  /** The client certificate chain (PEM), or `certFile`. */
  cert?: string
  certFile?: string
  /** Its private key (PEM), or `keyFile`. */
  key?: string
  keyFile?: string
  /** The CA(s) to trust for the token endpoint's own TLS certificate (PEM), or `caFile`. Default: Node's CA store. */
  ca?: string
  caFile?: string
}

/**
 * Where and how to exchange a subject token (RFC 8693 §2.1). The four settings OBO-21 names
 * (`token_url`, `client_id`, `client_secret` or a client certificate, `audience`) plus the optional
 * ones RFC 8693 and RFC 8707 define. Works with any RFC 8693 token endpoint (see README.md).
 */
export interface TokenExchangeConfig {
  /** The STS's token endpoint; with a client certificate, its mTLS alias (RFC 8705 §5). Must be https for mTLS. */
  tokenUrl: string
  /** This service's client id at the STS. */
  clientId: string
  /** OBO-07: a shared secret, sent as `clientSecretMethod` says. Exactly one of this and `clientCertificate`. */
  clientSecret?: string
  /** Default `client_secret_basic` (RFC 6749 §2.3.1); `client_secret_post` puts both in the form body. */
  clientSecretMethod?: 'client_secret_basic' | 'client_secret_post'
  /** OBO-07: mutual TLS (RFC 8705); `client_id` then travels in the form body. Exactly one of this and `clientSecret`. */
  clientCertificate?: ClientCertificate
  /** The CA(s) to trust for the token endpoint's TLS certificate when authenticating with a secret (PEM), or `caFile`. */
  ca?: string
  caFile?: string
  /** OBO-05: the downstream's logical name (`audience`). At least one of `audience` and `resource`. */
  audience?: string
  /** OBO-05: the downstream's absolute URI (`resource`, RFC 8707: no fragment). */
  resource?: string
  /** OBO-06: the scope to request when a call names none. Default: none (the STS decides). */
  scope?: string
  /** Default `urn:ietf:params:oauth:token-type:access_token` (OBO-04). */
  requestedTokenType?: string
  /** Default `urn:ietf:params:oauth:token-type:access_token` (OBO-03). */
  subjectTokenType?: string
  /** How long one exchange may take, connection to last byte. Default 10 000 ms. */
  timeoutMs?: number
  /** OBO-17: a cached token is reused until this many seconds before it expires. Default 30. */
  expiryMarginSeconds?: number
  /** Most cached tokens; the oldest go first. Default 1000. */
  maxCacheEntries?: number
  /** Who runs the token endpoint, as errors name it. Default `the authorization server`. */
  stsName?: string
}
