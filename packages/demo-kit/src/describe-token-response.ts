/**
 * A token endpoint's answer, described for an error message without repeating any credential: the
 * status, an OAuth `error` and `error_description` if present, and otherwise only the member names
 * (a 200 of an unexpected shape may still carry a token).
 */
export function describeTokenResponse(status: number, body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return `HTTP ${status}, a body that is not a JSON object`
  const record = body as Record<string, unknown>
  if (typeof record.error === 'string') {
    const description =
      typeof record.error_description === 'string' ? `: ${record.error_description.slice(0, 300)}` : ''
    return `HTTP ${status} ${record.error.slice(0, 64)}${description}`
  }
  return `HTTP ${status} with members ${Object.keys(record).join(', ') || '(none)'}`
}
