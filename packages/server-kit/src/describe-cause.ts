/**
 * An error in a few words for a log line: its message and, where Node hides the reason one level
 * down (a `fetch failed` whose cause is ECONNREFUSED or a timeout), that reason too.
 */
export function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause)
  const inner = cause.cause
  const code =
    typeof (inner as { code?: unknown } | undefined)?.code === 'string' ? (inner as { code: string }).code : undefined
  const reason = code ?? (inner instanceof Error ? inner.message : undefined)
  return reason === undefined ? cause.message : `${cause.message} (${reason})`
}
