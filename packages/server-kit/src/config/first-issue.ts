import type { z } from 'zod'

/**
 * The one line a configuration error shows for a failed zod parse: the first issue, where it is and
 * what is wrong. `name` is the variable or file the value came from (`CLIENTS`,
 * `apps/idp/demo-world.json at clients`); without it (a schema over the whole environment) the
 * issue's path names the variable. Messages come from the schema, never the value, so nothing
 * secret is echoed.
 *
 * `invalid CLIENTS at 0.client_secret: …`, `invalid IDP_PORT: …`, `invalid TRUSTED_IDPS: …`.
 */
export function firstIssue(error: z.ZodError, name?: string): string {
  const issue = error.issues[0]
  const path = issue?.path.map(String).join('.') ?? ''
  const where =
    name === undefined ? path : path === '' ? name : name.includes(' at ') ? `${name}.${path}` : `${name} at ${path}`
  return `invalid ${where === '' ? 'configuration' : where}: ${issue?.message ?? 'invalid value'}`
}
