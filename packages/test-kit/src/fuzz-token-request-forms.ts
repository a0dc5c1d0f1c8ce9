import assert from 'node:assert/strict'
import fc from 'fast-check'
import { fuzzRuns } from './fuzz-runs.ts'
import { readRefusal } from './read-refusal.ts'

export interface FuzzTokenRequestFormsOptions {
  /** The token endpoint (read when the property runs). */
  url(): string
  /** Parameter names the endpoint knows; random names are mixed in. */
  names: string[]
  /** Values worth trying (grant types, issuers, client ids); random strings are mixed in. */
  values: string[]
  /** A valid `Authorization` header for the client; broken ones are mixed in. */
  authorization: string
}

/**
 * The random-request property every token endpoint runs: up to eight parameters of known or random
 * names and values, in any content type, with or without (broken) client credentials. No request
 * carries a genuine token, so every answer is a JSON OAuth error without a token, never a 5xx.
 */
export async function fuzzTokenRequestForms(options: FuzzTokenRequestFormsOptions): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.tuple(
          fc.oneof(fc.constantFrom(...options.names), fc.string()),
          fc.oneof(fc.string(), fc.constantFrom(...options.values)),
        ),
        { maxLength: 8 },
      ),
      fc.option(
        fc.oneof(
          fc.constant(options.authorization),
          fc.string().map((s) => `Basic ${s}`),
          fc.string().map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
          fc.string(),
        ),
        { nil: undefined },
      ),
      fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data', ''),
      async (pairs, authorization, contentType) => {
        const headers: Record<string, string> = { accept: 'application/json' }
        if (contentType !== '') headers['content-type'] = contentType
        if (authorization !== undefined) headers.authorization = authorization.replace(/[^\x20-\x7e]/g, '?')
        const body =
          contentType === 'application/json'
            ? JSON.stringify(Object.fromEntries(pairs))
            : new URLSearchParams(pairs).toString()
        const res = await fetch(options.url(), { method: 'POST', headers, body })
        assert.notEqual(res.status, 200, 'no genuine token was presented, so no token')
        await readRefusal(res)
      },
    ),
    { numRuns: fuzzRuns(process.env.FUZZ_RUNS) },
  )
}
