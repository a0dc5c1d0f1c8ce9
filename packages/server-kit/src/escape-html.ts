/** Escapes the five HTML-special characters (as numeric references); everything a page renders from data goes through it. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
