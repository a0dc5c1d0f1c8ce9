/**
 * Property-based fuzzing of the MCP authorization server's token endpoint (jwt-bearer grant).
 *
 * (a) random form parameters and headers, (b) mutations of a valid ID-JAG (bytes flipped, inserted or
 * deleted in each segment, segments swapped, header and payload re-encoded with random values and
 * types, random `typ`/`alg`/`kid`, random `aud` shapes, and claims re-signed with the IdP's key).
 * Each property: never a 5xx; every refusal is a JSON object with a string `error` and no
 * `access_token`; a 200 only for the unmodified ID-JAG. `FUZZ_RUNS` cases per property (`npm run fuzz`).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { basicAuthorization } from '@ema/demo-kit'
import { anyClaimValue, fuzzJwtMutations, fuzzRuns, fuzzTokenRequestForms, readRefusal } from '@ema/test-kit'
import { GRANT_TYPE } from '@ema/tokens'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  mintIdJag,
  redeem,
  RESOURCE,
  type TestAs,
  type TestIdp,
  useJwtBearer,
} from './support/jwt-bearer.ts'

let idp: TestIdp
let as: TestAs

useJwtBearer(
  (suite) => ({ idp, as } = suite),
  () => ({ env: { TOKEN_RATE_LIMIT_PER_MINUTE: '0' } }),
) // the fuzzer outruns any limit

const BASIC = basicAuthorization(CLIENT_ID, CLIENT_SECRET)
const FORM_NAMES = [
  'grant_type',
  'assertion',
  'scope',
  'resource',
  'audience',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'subject_token',
]

test('AS-07 AS-08 SEC-04 random form parameters and headers at /token: never a 5xx, never a token, always a JSON OAuth error', async () => {
  await fuzzTokenRequestForms({
    url: () => `${as.url}/token`,
    names: FORM_NAMES,
    values: [GRANT_TYPE.JWT_BEARER, CLIENT_ID, RESOURCE, 'a.b.c'],
    authorization: BASIC,
  })
})

test('SEC-04 mutated ID-JAGs at /token: never a 5xx, a token only for the unmodified ID-JAG, always a JSON OAuth error', async () => {
  await fuzzJwtMutations({
    label: 'ID-JAG',
    claimNames: ['iss', 'sub', 'aud', 'client_id', 'resource', 'scope', 'jti', 'iat', 'exp', 'nbf'],
    genuine: () => mintIdJag(idp, as), // a fresh jti each time (AS-23)
    send: (assertion) => redeem(as, assertion),
  })
})

test('SEC-04 ID-JAGs re-signed by the trusted IdP with random claim values and aud shapes: never a 5xx, a token only when every claim is unchanged', async () => {
  const CLAIMS = ['iss', 'aud', 'client_id', 'resource', 'jti', 'iat', 'exp', 'sub'] as const
  const audShape = fc.oneof(
    fc.string(),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.constant([]),
    fc.constant(null),
    fc.integer(),
    fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
  )
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...CLAIMS),
      fc.oneof(anyClaimValue, audShape),
      fc.record({
        typ: fc.option(fc.oneof(fc.string(), fc.constantFrom('JWT', 'at+jwt', 'oauth-id-jag+jwt')), { nil: undefined }),
        kid: fc.option(fc.string(), { nil: undefined }),
      }),
      async (name, value, header) => {
        const claims: Record<string, unknown> = { [name]: value }
        let assertion: string
        try {
          assertion = await mintIdJag(idp, as, {
            claims,
            header: Object.fromEntries(Object.entries(header).filter(([, v]) => v !== undefined)),
          })
        } catch {
          return // jose refuses to sign it (e.g. a non-finite exp): nothing to send
        }
        const res = await redeem(as, assertion)
        // Only these may still be a valid ID-JAG; all other changed claims must be refused.
        const harmless =
          (name === 'sub' && typeof value === 'string' && value !== '') ||
          (name === 'jti' && typeof value === 'string' && value !== '')
        const typOk = header.typ === undefined || header.typ === 'oauth-id-jag+jwt'
        const kidOk = header.kid === undefined || header.kid === idp.key.kid
        if (res.status === 200) {
          assert.ok(
            harmless && typOk && kidOk,
            `a token for ${name}=${JSON.stringify(value)} ${JSON.stringify(header)}`,
          )
          return
        }
        await readRefusal(res)
      },
    ),
    { numRuns: FUZZ_RUNS },
  )
})

const FUZZ_RUNS = fuzzRuns(process.env.FUZZ_RUNS)
