import type { z } from 'zod'
import type { Env } from './env.ts'
import { firstIssue } from './first-issue.ts'

/**
 * A JSON setting: `env[name]` parsed and checked against `schema`. Absent or empty → `undefined`
 * (the role's default applies).
 * @throws {TypeError} `NAME is not valid JSON`, or the schema's first issue ({@link firstIssue}); never the value.
 */
export function readJson<S extends z.ZodType>(env: Env, name: string, schema: S): z.output<S> | undefined {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return undefined
  return parseJson(raw, name, schema)
}

/** {@link readJson} for text that comes from elsewhere (a file); `name` says where, in the error. */
export function parseJson<S extends z.ZodType>(text: string, name: string, schema: S): z.output<S> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new TypeError(`${name} is not valid JSON`, { cause })
  }
  const result = schema.safeParse(value)
  if (!result.success) throw new TypeError(firstIssue(result.error, name))
  return result.data
}
