/** Which role refused, when a refusal came from the wire. */
export type RefusingRole = 'idp' | 'authorization_server' | 'mcp_server'

/**
 * A refusal or failure somewhere in the chain, in a form a page or a log can show: the OAuth `error`
 * code (or a local code such as `invalid_resource_metadata` when there is none on the wire) and a
 * plain-words sentence. The `description` is the other side's `error_description`, if it sent one.
 */
export class FlowError extends Error {
  /** The wire `error` code, e.g. `access_denied`, `invalid_grant`, `insufficient_scope`. */
  readonly error: string
  readonly description: string | undefined
  /** HTTP status of the refusing response, if there was one. */
  readonly status: number | undefined
  /** The role whose token endpoint or MCP endpoint refused, if one did (e.g. to tell an IdP `invalid_grant` apart). */
  readonly refusedBy: RefusingRole | undefined
  /** RFC 9470 §3, with `insufficient_user_authentication`: the largest acceptable age of the sign-in, in seconds. */
  readonly maxAge: number | undefined
  /** RFC 9470 §3, with `insufficient_user_authentication`: the authentication context to reach. */
  readonly acrValues: string | undefined

  constructor(
    error: string,
    message: string,
    options: {
      description?: string | undefined
      status?: number | undefined
      cause?: unknown
      refusedBy?: RefusingRole | undefined
      maxAge?: number | undefined
      acrValues?: string | undefined
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'FlowError'
    this.error = error
    this.description = options.description
    this.status = options.status
    this.refusedBy = options.refusedBy
    this.maxAge = options.maxAge
    this.acrValues = options.acrValues
  }
}

/** How a step-up sign-in is asked for: `prompt=login` with these (OIDC Core §3.1.2.1). */
export interface StepUpSignIn {
  maxAge?: number | undefined
  acrValues?: string | undefined
}

/**
 * CL-35, IDP-56: when the IdP refused the token exchange with `insufficient_user_authentication`,
 * the user must sign in again (`prompt=login`, with the IdP's `max_age` / `acr_values` hints) and
 * the exchange be retried once with the new ID token. Returns those hints, or undefined for any
 * other error (which a new sign-in would not cure).
 */
export function stepUpSignInFor(error: unknown): StepUpSignIn | undefined {
  // The refusal may reach the caller wrapped (by the MCP SDK, when it re-acquires a token): follow `cause`.
  for (
    let current: unknown = error, depth = 0;
    current instanceof Error && depth < 5;
    current = current.cause, depth++
  ) {
    if (
      current instanceof FlowError &&
      current.error === 'insufficient_user_authentication' &&
      current.refusedBy === 'idp'
    ) {
      return { maxAge: current.maxAge, acrValues: current.acrValues }
    }
  }
  return undefined
}

/** Wraps an unexpected error (e.g. an http URL refused by `assertTrustworthyUrl`) as a {@link FlowError}. */
export function asFlowError(error: unknown): FlowError {
  if (error instanceof FlowError) return error
  return new FlowError('client_error', error instanceof Error ? error.message : String(error), { cause: error })
}
