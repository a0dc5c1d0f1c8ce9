import { describe, test } from 'node:test'
import { assertOAuthRefusal, type ExpectedRefusal } from './assert-oauth-refusal.ts'

/** One row of a negative suite: the requirement it proves, the attack, and what the refusal differs in. */
export interface RefusalRow {
  id: string
  attack: string
  status?: number
  error?: string
  error_description?: string
  /** Replaces the table's headers for this row. */
  headers?: ExpectedRefusal['headers']
}

export interface RefusalTableOptions<Row extends RefusalRow> {
  send(row: Row): Promise<Response>
  /** The refusal of a row that names no status or error of its own. */
  status: number
  error: string
  /** Headers every refusal carries; a function when they depend on the refusal (`WWW-Authenticate`). */
  headers?: ExpectedRefusal['headers'] | ((refusal: ExpectedRefusal) => ExpectedRefusal['headers'])
}

/** One test per row, titled `<id> refuses <attack>`, each pinning the whole refusal with {@link assertOAuthRefusal}. */
export function refusalTable<Row extends RefusalRow>(
  name: string,
  rows: readonly Row[],
  options: RefusalTableOptions<Row>,
): void {
  describe(name, () => {
    for (const row of rows) {
      test(`${row.id} refuses ${row.attack}`, async () => {
        const expected: ExpectedRefusal = { status: row.status ?? options.status, error: row.error ?? options.error }
        if (row.error_description !== undefined) expected.error_description = row.error_description
        expected.headers =
          row.headers ?? (typeof options.headers === 'function' ? options.headers(expected) : options.headers)
        await assertOAuthRefusal(await options.send(row), expected)
      })
    }
  })
}
