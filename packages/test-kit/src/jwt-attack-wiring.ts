import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AttackTarget } from './attack-target.ts'
import { JWT_BOUNDARIES, jwtAttackId, jwtAttacks, type JwtAttackIds, type JwtKind } from './jwt-attacks.ts'
import { jwtForge } from './jwt-forge.ts'
import { assertOAuthRefusal, type ExpectedRefusal } from './assert-oauth-refusal.ts'
import type { RefusalTableOptions } from './refusal-table.ts'

export interface JwtAttackWiringOptions extends Pick<RefusalTableOptions<never>, 'status' | 'error' | 'headers'> {
  kind: JwtKind
  /** The requirement each family proves at this endpoint. */
  ids: JwtAttackIds
  /** Read when a test runs (the servers start in `before`). */
  target(): AttackTarget
  /** Presents a token to the endpoint. */
  send(token: string): Promise<Response>
  /** Checks a response to a token just inside a limit. Default: status 200. */
  accepted?(res: Response): Promise<void>
}

/**
 * Proves that an endpoint is wired to the strict verifier: one attack of each family of the
 * catalogue, refused with the verifier's exact description, and the accepted side of each time
 * edge (which pins the endpoint's skew and lifetime settings to the second). packages/tokens runs
 * every attack against the verifiers themselves.
 */
export function jwtAttackWiring(name: string, options: JwtAttackWiringOptions): void {
  describe(`${name}: one attack per family`, () => {
    for (const row of jwtAttacks(options.kind, { onePerFamily: true })) {
      test(`${jwtAttackId(options.ids, row.family)} refuses ${row.attack}`, async () => {
        const target = options.target()
        const expected: ExpectedRefusal = {
          status: options.status,
          error: options.error,
          error_description: row.refusal(target),
        }
        expected.headers = typeof options.headers === 'function' ? options.headers(expected) : options.headers
        await assertOAuthRefusal(await options.send(await row.build(jwtForge(target))), expected)
      })
    }
  })
  describe(`${name}: the time edges are exact`, () => {
    for (const row of JWT_BOUNDARIES) {
      test(`${jwtAttackId(options.ids, row.family)} accepts ${row.boundary}`, async () => {
        const res = await options.send(await jwtForge(options.target()).sign({ claims: row.claims(options.target()) }))
        if (options.accepted) await options.accepted(res)
        else assert.equal(res.status, 200, await res.text())
      })
    }
  })
}
