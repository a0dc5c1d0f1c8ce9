import assert from 'node:assert/strict'

export interface ExpectedRefusal {
  status: number
  error: string
  /** The exact description. Without it, the body must still be `{ error, error_description }` and nothing more. */
  error_description?: string
  /** Headers the refusal must carry, exactly (a string) or matching (a RegExp). */
  headers?: Record<string, string | RegExp>
}

/**
 * Pins a whole OAuth error response, as oidc-provider's tests do: the status, a JSON body that is
 * exactly `{ error, error_description }` (so no token and no MCP result can slip in), and the
 * given headers (`Cache-Control`, `WWW-Authenticate`).
 */
export async function assertOAuthRefusal(res: Response, expected: ExpectedRefusal): Promise<void> {
  const text = await res.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    assert.fail(
      `expected a JSON error body, got ${res.status} ${res.headers.get('content-type')}: ${text.slice(0, 200)}`,
    )
  }
  const description = expected.error_description ?? (body as { error_description?: unknown } | null)?.error_description
  assert.equal(typeof description, 'string', `no string error_description: ${text}`)
  assert.deepEqual(
    { status: res.status, body },
    { status: expected.status, body: { error: expected.error, error_description: description } },
  )
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    if (typeof value === 'string') assert.equal(res.headers.get(name), value, `${name} of ${text}`)
    else assert.match(res.headers.get(name) ?? '', value, `${name} of ${text}`)
  }
}
