import assert from 'node:assert/strict'

/**
 * Asserts what every refusal at our endpoints must be: not a 5xx, a JSON object with a string `error`,
 * and no `access_token` (RFC 6749 §5.2; house rule: bad input never yields a 500 or a token).
 */
export async function readRefusal(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text()
  assert.ok(res.status < 500, `status ${res.status}: ${text}`)
  assert.match(
    res.headers.get('content-type') ?? '',
    /^application\/json/,
    `not JSON (${res.status}): ${text.slice(0, 200)}`,
  )
  const body: unknown = JSON.parse(text)
  assert.ok(
    typeof body === 'object' && body !== null && !Array.isArray(body),
    `not a JSON object: ${text.slice(0, 200)}`,
  )
  const record = Object.fromEntries(Object.entries(body))
  assert.equal(typeof record.error, 'string', `no string error: ${text.slice(0, 200)}`)
  assert.equal('access_token' in record, false, 'a refusal carried an access_token')
  return record
}
