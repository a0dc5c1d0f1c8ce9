/**
 * One family of OAuth errors. Each carries the wire `error` code, the HTTP status and a public
 * `error_description`. The `cause` is for logs only and is never sent on the wire.
 */
export interface OAuthErrorBody {
  error: string
  error_description?: string
  /** RFC 9470 §3: with `insufficient_user_authentication`, the largest acceptable authentication age, in seconds. */
  max_age?: number
  /** RFC 9470 §3: with `insufficient_user_authentication`, the authentication context(s) to reach. */
  acr_values?: string
}

export interface OAuthErrorOptions {
  cause?: unknown
}

export class OAuthError extends Error {
  readonly error: string
  readonly status: number
  readonly description: string

  constructor(error: string, status: number, description: string, options: OAuthErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'OAuthError'
    this.error = error
    this.status = status
    this.description = description
  }

  /** The RFC 6749 §5.2 response body. */
  toJSON(): OAuthErrorBody {
    return { error: this.error, error_description: this.description }
  }
}

/** RFC 6749 §5.2: a required parameter is missing, repeated or malformed. */
export class InvalidRequestError extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('invalid_request', 400, description, options)
  }
}

/** RFC 6749 §5.2: client authentication failed (HTTP 401). */
export class InvalidClientError extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('invalid_client', 401, description, options)
  }
}

/** RFC 6749 §5.2, RFC 7523 §3.1: the grant or assertion is invalid, expired, replayed or for someone else. */
export class InvalidGrantError extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('invalid_grant', 400, description, options)
  }
}

/** RFC 6749 §5.2: this client may not use this grant type. */
export class UnauthorizedClientError extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('unauthorized_client', 400, description, options)
  }
}

/** RFC 6749 §5.2: the grant type is not supported. */
export class UnsupportedGrantTypeError extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('unsupported_grant_type', 400, description, options)
  }
}

/** RFC 6749 §5.2: the requested scope is invalid or exceeds what may be granted. */
export class InvalidScopeError extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('invalid_scope', 400, description, options)
  }
}

/** RFC 8693 §2.2.2, RFC 8707 §2: the audience or resource is not acceptable. */
export class InvalidTargetError extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('invalid_target', 400, description, options)
  }
}

/**
 * RFC 9396 §5: the `authorization_details` are unknown to this server or malformed. This implementation
 * knows no authorization details type yet, so any it receives are unknown.
 */
export class InvalidAuthorizationDetailsError extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('invalid_authorization_details', 400, description, options)
  }
}

/** JAG-ED:access_denied_error: a valid request that policy refuses. Retrying will not help. */
export class AccessDeniedError extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('access_denied', 400, description, options)
  }
}

/**
 * JAG §9.2, RFC 9470 §3: the subject token is valid, but the user's authentication is too old or too
 * weak for what was asked: sign the user in again (`prompt=login`, `max_age`, `acr_values`) and retry.
 * A token endpoint error, so HTTP 400 (RFC 6749 §5.2); `max_age` and `acr_values` travel as members
 * of the error body, as RFC 9470 §3 names them.
 */
export class InsufficientUserAuthenticationError extends OAuthError {
  readonly maxAge: number | undefined
  readonly acrValues: string | undefined
  constructor(description: string, hints: { maxAge?: number; acrValues?: string } = {}, options?: OAuthErrorOptions) {
    super('insufficient_user_authentication', 400, description, options)
    this.maxAge = hints.maxAge
    this.acrValues = hints.acrValues
  }

  override toJSON(): OAuthErrorBody {
    return {
      ...super.toJSON(),
      ...(this.maxAge === undefined ? {} : { max_age: this.maxAge }),
      ...(this.acrValues === undefined ? {} : { acr_values: this.acrValues }),
    }
  }
}

/** RFC 6750 §3.1: the bearer token is missing, malformed, expired or not for this resource (HTTP 401). */
export class InvalidTokenError extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('invalid_token', 401, description, options)
  }
}

/** RFC 6750 §3.1: the token lacks the scope this request needs (HTTP 403). */
export class InsufficientScopeError extends OAuthError {
  readonly requiredScopes: readonly string[]
  constructor(description: string, requiredScopes: readonly string[], options?: OAuthErrorOptions) {
    super('insufficient_scope', 403, description, options)
    this.requiredScopes = requiredScopes
  }
}

/** RFC 6749 §5.2 (as extended by RFC 6749 §4.1.2.1): the server cannot serve the request right now. */
export class TemporarilyUnavailableError extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('temporarily_unavailable', 503, description, options)
  }
}

/**
 * The shared store this server depends on (the replay store, sessions, rate-limit windows) did not
 * answer in time or at all. A 503 `temporarily_unavailable`: the request is refused, never let
 * through unchecked (fail closed), and the client may retry. The cause (the store client's error)
 * is for logs only.
 */
export class StoreUnavailableError extends TemporarilyUnavailableError {
  constructor(options?: OAuthErrorOptions) {
    super('the server cannot reach its state store; try again later', options)
    this.name = 'StoreUnavailableError'
  }
}

/** An unexpected failure. Its description never includes the cause. */
export class ServerError extends OAuthError {
  constructor(options?: OAuthErrorOptions) {
    super('server_error', 500, 'the server could not complete the request', options)
  }
}

/** Returns the error as an OAuthError, wrapping anything else in a ServerError. */
export function toOAuthError(error: unknown): OAuthError {
  return error instanceof OAuthError ? error : new ServerError({ cause: error })
}
