import type { FetchLike } from '@modelcontextprotocol/client'

/** One HTTP request as the peer sent it. */
export interface RecordedRequest {
  method: string
  url: URL
  /** The `Authorization` header, if any. */
  authorization: string | null
  /** The body when it was a form (`application/x-www-form-urlencoded`), else null. */
  form: URLSearchParams | null
  /** The response status. */
  status: number
}

export interface RequestRecorder {
  /** Hand this to the SDK wherever it takes a fetch. */
  fetch: FetchLike
  requests: RecordedRequest[]
  /** The form POSTs sent to `tokenEndpoint`, in order. */
  tokenRequests(tokenEndpoint: string): RecordedRequest[]
}

/**
 * Wraps the global fetch so a test can see what the SDK put on the wire (client authentication,
 * `resource`, `scope` …). It changes nothing in the requests or the responses.
 */
export function recordRequests(): RequestRecorder {
  const requests: RecordedRequest[] = []
  const recording: FetchLike = async (input, init) => {
    const headers = new Headers(init?.headers)
    const isForm = (headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded')
    const form =
      isForm && typeof init?.body === 'string'
        ? new URLSearchParams(init.body)
        : isForm && init?.body instanceof URLSearchParams
          ? new URLSearchParams(init.body)
          : null
    const response = await fetch(input, init)
    requests.push({
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      authorization: headers.get('authorization'),
      form,
      status: response.status,
    })
    return response
  }
  return {
    fetch: recording,
    requests,
    tokenRequests: (tokenEndpoint) => requests.filter((r) => r.method === 'POST' && r.url.href === tokenEndpoint),
  }
}
