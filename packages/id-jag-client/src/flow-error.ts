/**
 * A refusal or failure somewhere in the chain, in a form the page can show: the OAuth `error` code
 * (or a local code such as `invalid_resource_metadata` when there is none on the wire) and a
 * plain-words sentence. The `description` is the other side's `error_description`, if it sent one.
 */
export class FlowError extends Error {
  /** The wire `error` code, e.g. `access_denied`, `invalid_grant`, `insufficient_scope`. */
  readonly error: string
  readonly description: string | undefined
  /** HTTP status of the refusing response, if there was one. */
  readonly status: number | undefined

  constructor(error: string, message: string, options: { description?: string; status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'FlowError'
    this.error = error
    this.description = options.description
    this.status = options.status
  }
}

/** Wraps an unexpected error (e.g. an http URL refused by `assertTrustworthyUrl`) as a {@link FlowError}. */
export function asFlowError(error: unknown): FlowError {
  if (error instanceof FlowError) return error
  return new FlowError('client_error', error instanceof Error ? error.message : String(error), { cause: error })
}
