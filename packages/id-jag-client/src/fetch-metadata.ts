import { assertTrustworthyUrl } from '@ema/tokens'
import type { z } from 'zod'
import { FlowError } from './flow-error.ts'

export interface FetchMetadataOptions<T> {
  /** Well-known URLs in the order to try; a 404 moves to the next one. */
  candidates: readonly string[]
  schema: z.ZodType<T>
  /** Whose metadata, in messages, e.g. "The MCP server's metadata". */
  whose: string
  /** The FlowError code for a missing or malformed document. */
  error: string
  fetch: typeof fetch
  allowInsecureHttp: boolean
}

/**
 * GETs metadata from the first candidate URL that does not answer 404 and parses it with `schema`.
 * Refuses plain http except to loopback hosts (CL-48) and follows no redirects (CL-50).
 *
 * Does NOT compare the document's identifier (`resource`, `issuer`) with anything: the caller does.
 * @throws {FlowError} `network_error`, or `options.error` for an error status, a malformed body or no document.
 */
export async function fetchMetadata<T>(options: FetchMetadataOptions<T>): Promise<{ metadata: T; url: string }> {
  for (const candidate of options.candidates) {
    const url = new URL(candidate)
    assertTrustworthyUrl(url, options.allowInsecureHttp) // CL-48
    const response = await fetchOrFail(options.fetch, url, { headers: { accept: 'application/json' } })
    if (response.status === 404) continue
    if (!response.ok)
      throw new FlowError(options.error, `${options.whose} at ${url.href} answered HTTP ${response.status}`, {
        status: response.status,
      })
    const parsed = options.schema.safeParse(await response.json().catch(() => undefined))
    if (!parsed.success)
      throw new FlowError(
        options.error,
        `${options.whose} at ${url.href} is malformed: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      )
    return { metadata: parsed.data, url: url.href }
  }
  throw new FlowError(options.error, `${options.whose} is not published at ${options.candidates.join(' or ')}`)
}

/** `fetch` that follows no redirects (CL-50) and turns a transport failure into a `network_error`. */
export async function fetchOrFail(fetchImpl: typeof fetch, url: URL, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetchImpl(url, { ...init, redirect: 'manual' })
  } catch (cause) {
    throw new FlowError('network_error', `Could not reach ${url.origin}: ${describeCause(cause)}`, { cause })
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error)
    return cause.cause instanceof Error ? `${cause.message} (${cause.cause.message})` : cause.message
  return String(cause)
}
