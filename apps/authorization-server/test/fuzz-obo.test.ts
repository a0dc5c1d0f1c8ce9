/**
 * Property-based fuzzing of the on-behalf-of token exchange at the token endpoint (OBO-02 … OBO-16),
 * as fuzz.test.ts does for the jwt-bearer grant.
 *
 * (a) random form parameters with the exchanging client's credentials, (b) mutations of a valid
 * subject token, (c) subject tokens re-signed by the server with random claim values (aud, sub,
 * client_id, scope, act, may_act, times), (d) random audience / resource / scope parameters with a
 * valid subject token. Each property: never a 5xx; every refusal a JSON OAuth error without a token;
 * every 200 keeps the invariants: the same user, aud = a downstream API, client_id and the current
 * actor = the exchanging client, exp ≤ the subject's, scope ⊆ the subject's scopes (mapped) ∩ the request.
 * `FUZZ_RUNS` cases per property (`npm run fuzz`).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { anyClaimValue, fuzzJwtMutations, fuzzRuns, readRefusal } from '@ema/test-kit'
import { GRANT_TYPE, TOKEN_TYPE, parseScope } from '@ema/tokens'
import {
  CALENDAR_API,
  MCP_CLIENT,
  MCP_SERVER,
  TASKS_API,
  authenticate,
  decodeJwtParts,
  exchange,
  mintSubjectToken,
  useOboAs,
  type OboAs,
} from './support/on-behalf-of.ts'

let as: OboAs

useOboAs((started) => (as = started))

const FUZZ_RUNS = fuzzRuns(process.env.FUZZ_RUNS)
const FORM_NAMES = [
  'grant_type',
  'subject_token',
  'subject_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
  'actor_token',
  'actor_token_type',
  'client_id',
  'authorization_details',
]
const TASKS_SCOPES = ['tasks.read', 'tasks.write']

/** Asserts what every accepted exchange must hold, whatever was sent. */
function assertInvariants(
  body: Record<string, unknown>,
  subject: Record<string, unknown>,
  requestedScope: string | undefined,
): void {
  assert.equal(body.issued_token_type, TOKEN_TYPE.ACCESS_TOKEN)
  assert.equal(body.refresh_token, undefined)
  const { claims } = decodeJwtParts(String(body.access_token))
  assert.equal(claims.sub, subject.sub, 'OBO-12: the same user')
  assert.ok(
    [TASKS_API, CALENDAR_API].includes(String(claims.aud)),
    `OBO-12: aud is a downstream API, not ${String(claims.aud)}`,
  )
  assert.equal(claims.client_id, MCP_CLIENT.id)
  assert.equal(
    (claims.act as { sub?: unknown } | undefined)?.sub,
    MCP_CLIENT.id,
    'OBO-13: the current actor is the exchanging client',
  )
  assert.ok(Number(claims.exp) <= Number(subject.exp), 'OBO-12: never outlives the subject token')
  const issued = parseScope(String(claims.scope))
  const inbound = parseScope(typeof subject.scope === 'string' ? subject.scope : undefined)
  const mapped =
    claims.aud === CALENDAR_API
      ? inbound.includes('tasks.read')
        ? ['calendar.read']
        : []
      : inbound.filter((scope) => TASKS_SCOPES.includes(scope))
  for (const scope of issued)
    assert.ok(mapped.includes(scope), `the user gained ${scope} (subject scope "${String(subject.scope)}")`)
  // An empty parameter counts as omitted (decision 0017): `scope=` asks for nothing narrower.
  if (requestedScope !== undefined && requestedScope !== '')
    for (const scope of issued) assert.ok(parseScope(requestedScope).includes(scope), `${scope} was not requested`)
}

test('OBO-03 SEC-04 random token exchange forms from the switched-on client: never a 5xx, never a token, always a JSON OAuth error', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.tuple(
          fc.oneof(fc.constantFrom(...FORM_NAMES), fc.string()),
          fc.oneof(
            fc.string(),
            fc.constantFrom(
              GRANT_TYPE.TOKEN_EXCHANGE,
              TOKEN_TYPE.ACCESS_TOKEN,
              TOKEN_TYPE.ID_JAG,
              TASKS_API,
              MCP_SERVER,
              'tasks.read',
              'a.b.c',
            ),
          ),
        ),
        { maxLength: 10 },
      ),
      async (pairs) => {
        const form = new URLSearchParams([['grant_type', GRANT_TYPE.TOKEN_EXCHANGE], ...pairs])
        const headers = authenticate(form, { method: 'client_secret_basic', ...MCP_CLIENT })
        const res = await fetch(`${as.url}/token`, { method: 'POST', headers, body: form })
        assert.notEqual(res.status, 200, 'no valid subject token was sent, so no token')
        await readRefusal(res)
      },
    ),
    { numRuns: FUZZ_RUNS },
  )
})

test('OBO-02 OBO-09 SEC-04 mutated subject tokens: never a 5xx, a token only for the unmodified subject token', async () => {
  await fuzzJwtMutations({
    label: 'subject token',
    claimNames: ['iss', 'sub', 'aud', 'client_id', 'scope', 'jti', 'iat', 'exp', 'nbf', 'act', 'may_act'],
    genuine: () => mintSubjectToken(as),
    send: (subjectToken) => exchange(as, subjectToken),
  })
})

test('OBO-09 OBO-11 OBO-12 OBO-16 subject tokens re-signed by the server with random claims: never a 5xx, every token keeps the invariants', async () => {
  const CLAIMS = ['aud', 'sub', 'client_id', 'scope', 'act', 'may_act', 'iat', 'exp', 'iss'] as const
  const actShape = fc.letrec((tie) => ({
    act: fc.oneof(
      { depthSize: 'small' },
      fc.record({ sub: fc.oneof(fc.string(), fc.constant(MCP_CLIENT.id)) }),
      fc.record({ sub: fc.string(), act: tie('act') }),
      anyClaimValue,
    ),
  })).act
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...CLAIMS),
      fc.oneof(
        anyClaimValue,
        actShape,
        fc.constantFrom(MCP_SERVER, TASKS_API, 'tasks.read', 'tasks.write calendar.read', { sub: MCP_CLIENT.id }),
      ),
      async (name, value) => {
        let subjectToken: string
        try {
          subjectToken = await mintSubjectToken(as, { claims: { [name]: value } })
        } catch {
          return // jose refuses to sign it (e.g. a non-finite exp): nothing to send
        }
        const res = await exchange(as, subjectToken)
        if (res.status === 200) {
          assertInvariants(
            (await res.json()) as Record<string, unknown>,
            decodeJwtParts(subjectToken).claims,
            undefined,
          )
          return
        }
        await readRefusal(res)
      },
    ),
    { numRuns: FUZZ_RUNS },
  )
})

test('OBO-05 OBO-06 OBO-16 random audience, resource and scope with a valid subject token: never a 5xx, never more than the subject token carries', async () => {
  const target = fc.oneof(
    fc.constantFrom(TASKS_API, CALENDAR_API, MCP_SERVER, `${TASKS_API}/`, `${TASKS_API}#x`, 'urn:x', ''),
    fc.webUrl(),
    fc.string(),
  )
  const scope = fc.oneof(
    fc.constantFrom('tasks.read', 'tasks.write', 'tasks.read tasks.write', 'calendar.read', 'calendar.write', ' ', ''),
    fc.string(),
  )
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.constantFrom('audience', 'resource'), target), { maxLength: 3 }),
      fc.option(scope, { nil: undefined }),
      fc.constantFrom('tasks.read', 'tasks.write', 'tasks.read tasks.write', ''),
      async (targets, requestedScope, subjectScope) => {
        const subjectToken = await mintSubjectToken(as, {
          claims: { scope: subjectScope === '' ? undefined : subjectScope },
        })
        const res = await exchange(as, subjectToken, {
          params: { audience: undefined, ...(requestedScope === undefined ? {} : { scope: requestedScope }) },
          extra: targets,
        })
        if (res.status === 200) {
          assertInvariants(
            (await res.json()) as Record<string, unknown>,
            decodeJwtParts(subjectToken).claims,
            requestedScope,
          )
          return
        }
        await readRefusal(res)
      },
    ),
    { numRuns: FUZZ_RUNS },
  )
})
