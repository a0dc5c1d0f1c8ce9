import assert from 'node:assert/strict'
import fc from 'fast-check'
import { fuzzRuns } from './fuzz-runs.ts'
import { jwtMutation, safely, sameBytes } from './jwt-mutation.ts'
import { readRefusal } from './read-refusal.ts'

/** The JOSE header members every mutation property edits. */
const HEADER_NAMES = ['typ', 'alg', 'kid', 'crit', 'b64', 'jku', 'jwk', 'x5u']

export interface FuzzJwtMutationsOptions {
  /** What the token is, for the failure messages ("ID-JAG", "subject token"). */
  label: string
  /** The claims the mutations re-encode with random values. */
  claimNames: string[]
  /** A genuine token; called per case, so it may mint a fresh one (a new `jti`). */
  genuine(): Promise<string> | string
  /** Presents a token to the endpoint. */
  send(token: string): Promise<Response>
  /** Whether the endpoint accepted the token. Default: status 200. */
  accepted?(res: Response): boolean
  /** Checks a refusal. Default: readRefusal (no 5xx, a JSON OAuth error, no token). */
  refused?(res: Response): Promise<unknown>
}

/**
 * The mutation property every endpoint that takes a JWT runs: a genuine token, or (nine times in ten)
 * a mutation of it (bytes flipped, inserted or deleted, segments swapped, header and claims re-encoded
 * with random values and types). Only the genuine token, or a mutation that decodes to its very
 * bytes, is accepted; every other one is refused. `FUZZ_RUNS` cases (`npm run fuzz`).
 */
export async function fuzzJwtMutations(options: FuzzJwtMutationsOptions): Promise<void> {
  const accepted = options.accepted ?? ((res: Response) => res.status === 200)
  const refused = options.refused ?? readRefusal
  await fc.assert(
    fc.asyncProperty(
      fc.option(jwtMutation(HEADER_NAMES, options.claimNames), { nil: undefined, freq: 10 }),
      async (mutation) => {
        const genuine = await options.genuine()
        const presented = mutation === undefined ? genuine : safely(() => mutation.apply(genuine))
        const res = await options.send(presented)
        if (presented === genuine) {
          assert.ok(
            accepted(res) && res.status < 500,
            `the unmodified ${options.label} is accepted: ${res.status} ${await res.text()}`,
          )
          return
        }
        if (accepted(res) && sameBytes(genuine, presented)) return
        assert.ok(!accepted(res), `${mutation?.kind}: accepted a mutated ${options.label} ${presented}`)
        await refused(res)
      },
    ),
    { numRuns: fuzzRuns(process.env.FUZZ_RUNS) },
  )
}
