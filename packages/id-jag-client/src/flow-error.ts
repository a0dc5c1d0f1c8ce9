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

  constructor(
    error: string,
    message: string,
    options: {
      description?: string | undefined
      status?: number | undefined
      cause?: unknown
      refusedBy?: RefusingRole | undefined
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'FlowError'
    this.error = error
    this.description = options.description
    this.status = options.status
    this.refusedBy = options.refusedBy
  }
}

/** Wraps an unexpected error (e.g. an http URL refused by `assertTrustworthyUrl`) as a {@link FlowError}. */
export function asFlowError(error: unknown): FlowError {
  if (error instanceof FlowError) return error
  return new FlowError('client_error', error instanceof Error ? error.message : String(error), { cause: error })
}
