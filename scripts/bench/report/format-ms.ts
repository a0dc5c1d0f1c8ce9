/** Milliseconds as the report prints them: two decimals below 10, one from 10; "—" for none. */
export function formatMs(value: number): string {
  if (Number.isNaN(value)) return '—'
  return value < 10 ? value.toFixed(2) : value.toFixed(1)
}
