/**
 * A log-safe stand-in for a token, secret or assertion: a short prefix (at most eight characters and
 * at most a quarter of the value, so a short secret is never shown whole) and its length.
 * Never log the value itself.
 */
export function redact(value: string | undefined | null): string {
  if (value === undefined || value === null || value === '') return '(none)'
  return `${value.slice(0, Math.min(8, Math.floor(value.length / 4)))}…(${value.length} chars)`
}
