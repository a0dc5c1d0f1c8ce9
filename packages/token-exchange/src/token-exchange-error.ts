/**
 * Why an exchange gave no token:
 * - `refused`: the STS answered with an OAuth error (RFC 6749 §5.2, RFC 8693 §2.2.2), e.g. `invalid_scope`;
 * - `unavailable`: no usable answer in time: network failure, timeout, or a 5xx without an OAuth error;
 * - `invalid_response`: a 200 that is not an RFC 8693 §2.2.1 token response;
 * - `misconfigured`: this side cannot send the request (a certificate file that cannot be read).
 */
export type TokenExchangeFailure = 'refused' | 'unavailable' | 'invalid_response' | 'misconfigured'

/**
 * A token exchange that gave no token. Carries who refused (`refusedBy`, the configured `stsName`),
 * the OAuth `error` code (the STS's own for a refusal; `temporarily_unavailable`, `invalid_response`
 * or `misconfigured` otherwise), its description and the HTTP status. Never any token or secret.
 */
export class TokenExchangeError extends Error {
  readonly kind: TokenExchangeFailure
  readonly refusedBy: string
  readonly error: string
  readonly errorDescription: string | undefined
  readonly status: number | undefined

  constructor(init: {
    kind: TokenExchangeFailure
    refusedBy: string
    error: string
    errorDescription?: string
    status?: number
    cause?: unknown
  }) {
    super(messageOf(init), init.cause === undefined ? undefined : { cause: init.cause })
    this.name = 'TokenExchangeError'
    this.kind = init.kind
    this.refusedBy = init.refusedBy
    this.error = init.error
    this.errorDescription = init.errorDescription
    this.status = init.status
  }
}

function messageOf(init: {
  kind: TokenExchangeFailure
  refusedBy: string
  error: string
  errorDescription?: string
  status?: number
}): string {
  const detail = init.errorDescription === undefined ? '' : `: ${init.errorDescription}`
  const status = init.status === undefined ? '' : ` (HTTP ${init.status})`
  switch (init.kind) {
    case 'refused':
      return `${init.refusedBy} refused the token exchange${status}: ${init.error}${detail}`
    case 'unavailable':
      return `${init.refusedBy} could not be reached for the token exchange${status}${detail}`
    case 'invalid_response':
      return `${init.refusedBy} answered the token exchange with something that is not a token response${status}${detail}`
    case 'misconfigured':
      return `the token exchange client is misconfigured${detail}`
  }
}
