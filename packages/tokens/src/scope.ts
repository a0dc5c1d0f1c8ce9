/** Splits a space-delimited `scope` value (RFC 6749 §3.3) into distinct scope tokens. */
export function parseScope(scope: string | undefined | null): string[] {
  if (scope === undefined || scope === null) return []
  return [...new Set(scope.split(' ').filter((s) => s !== ''))]
}

/** Joins scope tokens into a `scope` value. */
export function formatScope(scopes: Iterable<string>): string {
  return [...scopes].join(' ')
}

/** The scopes present in every given list, in the order of the first. */
export function intersectScopes(first: readonly string[], ...others: ReadonlyArray<readonly string[]>): string[] {
  return first.filter((scope) => others.every((list) => list.includes(scope)))
}
