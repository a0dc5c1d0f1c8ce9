/**
 * A log-safe stand-in for a token, secret or assertion: its first eight characters and its length.
 * Never log the value itself.
 */
export function redact(value: string | undefined | null): string {
  if (value === undefined || value === null || value === '') return '(none)'
  return `${value.slice(0, 8)}…(${value.length} chars)`
}
