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
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { GRANT_TYPE } from '@ema/tokens'
import { CLIENT_ID, CLIENT_SECRET, mintIdJag, redeem, RESOURCE, startAs, startIdp, type TestAs, type TestIdp } from './helpers.ts'

let idp: TestIdp
let as: TestAs

before(async () => {
  idp = await startIdp()
  as = await startAs([idp], { TOKEN_RATE_LIMIT_PER_MINUTE: '0' }) // the fuzzer outruns any limit
})
after(async () => {
  await as.close()
  await idp.close()
})

const BASIC = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`
const FORM_NAMES = ['grant_type', 'assertion', 'scope', 'resource', 'audience', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type', 'subject_token']

test('AS-07 AS-08 SEC-04 random form parameters and headers at /token: never a 5xx, never a token, always a JSON OAuth error', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...FORM_NAMES), fc.string()), fc.oneof(fc.string(), fc.constantFrom(GRANT_TYPE.JWT_BEARER, CLIENT_ID, RESOURCE, 'a.b.c'))), { maxLength: 8 }),
    fc.option(fc.oneof(fc.constant(BASIC), fc.string().map((s) => `Basic ${s}`), fc.string().map((s) => `Basic ${Buffer.from(s).toString('base64')}`), fc.string()), { nil: undefined }),
    fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data', ''),
    async (pairs, authorization, contentType) => {
      const headers: Record<string, string> = { accept: 'application/json' }
      if (contentType !== '') headers['content-type'] = contentType
      if (authorization !== undefined) headers.authorization = authorization.replace(/[^\x20-\x7e]/g, '?')
      const body = contentType === 'application/json' ? JSON.stringify(Object.fromEntries(pairs)) : new URLSearchParams(pairs).toString()
      const res = await fetch(`${as.url}/token`, { method: 'POST', headers, body })
      assert.notEqual(res.status, 200, 'no ID-JAG was presented, so no token')
      await readRefusal(res)
    },
  ), { numRuns: FUZZ_RUNS })
})

test('SEC-04 AS-11 … AS-22 mutated ID-JAGs at /token: never a 5xx, a token only for the unmodified ID-JAG, always a JSON OAuth error', async () => {
  await fc.assert(fc.asyncProperty(
    fc.option(jwtMutation(['typ', 'alg', 'kid', 'crit', 'b64', 'jku', 'jwk', 'x5u'], ['iss', 'sub', 'aud', 'client_id', 'resource', 'scope', 'jti', 'iat', 'exp', 'nbf']), { nil: undefined, freq: 10 }),
    async (mutation) => {
      const valid = await mintIdJag(idp, as) // a fresh jti each time (AS-23)
      const assertion = mutation === undefined ? valid : safely(() => mutation.apply(valid))
      const res = await redeem(as, assertion)
      if (assertion === valid) {
        assert.equal(res.status, 200, `the unmodified ID-JAG is accepted: ${await res.text()}`)
        return
      }
      if (res.status === 200 && sameBytes(valid, assertion)) return
      assert.notEqual(res.status, 200, `${mutation?.kind}: a token for a mutated ID-JAG ${assertion}`)
      await readRefusal(res)
    },
  ), { numRuns: FUZZ_RUNS })
})

test('SEC-04 AS-11 … AS-22 ID-JAGs re-signed by the trusted IdP with random claim values and aud shapes: never a 5xx, a token only when every claim is unchanged', async () => {
  const CLAIMS = ['iss', 'aud', 'client_id', 'resource', 'jti', 'iat', 'exp', 'sub'] as const
  const audShape = fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant([]), fc.constant(null), fc.integer(), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }))
  await fc.assert(fc.asyncProperty(
    fc.constantFrom(...CLAIMS),
    fc.oneof(anyClaimValue, audShape),
    fc.record({ typ: fc.option(fc.oneof(fc.string(), fc.constantFrom('JWT', 'at+jwt', 'oauth-id-jag+jwt')), { nil: undefined }), kid: fc.option(fc.string(), { nil: undefined }) }),
    async (name, value, header) => {
      const claims: Record<string, unknown> = { [name]: value }
      let assertion: string
      try {
        assertion = await mintIdJag(idp, as, { claims, header: Object.fromEntries(Object.entries(header).filter(([, v]) => v !== undefined)) })
      } catch {
        return // jose refuses to sign it (e.g. a non-finite exp): nothing to send
      }
      const res = await redeem(as, assertion)
      // Only these may still be a valid ID-JAG; all other changed claims must be refused.
      const harmless = (name === 'sub' && typeof value === 'string' && value !== '') || (name === 'jti' && typeof value === 'string' && value !== '')
      const typOk = header.typ === undefined || header.typ === 'oauth-id-jag+jwt'
      const kidOk = header.kid === undefined || header.kid === idp.key.kid
      if (res.status === 200) {
        assert.ok(harmless && typOk && kidOk, `a token for ${name}=${JSON.stringify(value)} ${JSON.stringify(header)}`)
        return
      }
      await readRefusal(res)
    },
  ), { numRuns: FUZZ_RUNS })
})

/** A mutation of a segment that is not JSON throws while re-encoding; such cases send the token unchanged-but-broken. */
function safely(make: () => string): string {
  try {
    return make()
  } catch {
    return 'x.y.z'
  }
}

// ---------------------------------------------------------------------------------------------
// JWT mutations (the same in the three fuzz suites; each suite stands alone)

const FUZZ_RUNS = fuzzRuns()

/** Runs per property: env `FUZZ_RUNS` (scripts/fuzz.ts sets it), default 80. */
function fuzzRuns(): number {
  const runs = Number(process.env.FUZZ_RUNS ?? 80)
  return Number.isInteger(runs) && runs > 0 ? runs : 80
}

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')

/** A value of any JSON type, and a few shapes the verifiers must not trip over. */
const anyClaimValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string(),
  fc.constantFrom('', ' ', 'none', '\u0000', 'a'.repeat(5000), '__proto__', 'constructor'),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.double(),
)

type Mutation = { kind: string; apply: (jwt: string) => string }

/** A mutation of a compact JWS: bytes flipped, inserted or deleted, segments swapped, dropped or re-encoded. */
const jwtMutation = (headerNames: string[], claimNames: string[]): fc.Arbitrary<Mutation> => fc.oneof(
  fc.record({ segment: fc.nat(2), at: fc.nat(), bit: fc.nat(5) }).map(({ segment, at, bit }) => ({
    kind: 'flip',
    apply: (jwt: string) => editSegment(jwt, segment, (s) => {
      if (s.length === 0) return 'A'
      const i = at % s.length
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
      const c = alphabet[(alphabet.indexOf(s[i]!) ^ (1 << bit)) & 63]!
      return s.slice(0, i) + c + s.slice(i + 1)
    }),
  })),
  fc.record({ segment: fc.nat(2), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 4 }) }).map(({ segment, at, text }) => ({
    kind: 'insert',
    apply: (jwt: string) => editSegment(jwt, segment, (s) => { const i = at % (s.length + 1); return s.slice(0, i) + text + s.slice(i) }),
  })),
  fc.record({ segment: fc.nat(2), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }).map(({ segment, at, count }) => ({
    kind: 'delete',
    apply: (jwt: string) => editSegment(jwt, segment, (s) => { const i = at % (s.length + 1); return s.slice(0, i) + s.slice(i + count) }),
  })),
  fc.constantFrom<Mutation>(
    { kind: 'swap header/payload', apply: (jwt) => { const [h, p, s] = jwt.split('.'); return `${p}.${h}.${s}` } },
    { kind: 'drop signature', apply: (jwt) => jwt.split('.').slice(0, 2).join('.') + '.' },
    { kind: 'two segments', apply: (jwt) => jwt.split('.').slice(0, 2).join('.') },
    { kind: 'four segments', apply: (jwt) => `${jwt}.${jwt.split('.')[2]}` },
    { kind: 'alg none', apply: (jwt) => reencode(jwt, 0, (h) => ({ ...h, alg: 'none' })).split('.').slice(0, 2).join('.') + '.' },
  ),
  fc.record({ name: fc.oneof(fc.constantFrom(...headerNames), fc.string()), value: anyClaimValue }).map(({ name, value }) => ({
    kind: `header ${name}`,
    apply: (jwt: string) => reencode(jwt, 0, (h) => ({ ...h, [name]: value })),
  })),
  fc.record({ name: fc.oneof(fc.constantFrom(...claimNames), fc.string()), value: anyClaimValue }).map(({ name, value }) => ({
    kind: `claim ${name}`,
    apply: (jwt: string) => reencode(jwt, 1, (p) => ({ ...p, [name]: value })),
  })),
  fc.record({ name: fc.constantFrom(...claimNames) }).map(({ name }) => ({
    kind: `remove ${name}`,
    apply: (jwt: string) => reencode(jwt, 1, (p) => { const { [name]: _removed, ...rest } = p; return rest }),
  })),
  fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v))).map((text) => ({
    kind: 'payload replaced',
    apply: (jwt: string) => editSegment(jwt, 1, () => b64(text)),
  })),
)

function editSegment(jwt: string, index: number, edit: (segment: string) => string): string {
  const segments = jwt.split('.')
  segments[index] = edit(segments[index] ?? '')
  return segments.join('.')
}

/** Decodes one segment as a JSON object, edits it and re-encodes it (the signature is left as is). */
function reencode(jwt: string, index: 0 | 1, edit: (value: Record<string, unknown>) => Record<string, unknown>): string {
  return editSegment(jwt, index, (s) => b64(JSON.stringify(edit(JSON.parse(Buffer.from(s, 'base64url').toString()) as Record<string, unknown>))))
}

/**
 * Same decoded bytes in every segment, all in the base64url alphabet: a different spelling of the
 * same token (e.g. the unused low bits of a segment's last character). Such a token may be accepted.
 */
function sameBytes(original: string, mutated: string): boolean {
  const a = original.split('.')
  const b = mutated.split('.')
  return a.length === b.length && b.every((s, i) => /^[A-Za-z0-9_-]*$/.test(s) && Buffer.from(s, 'base64url').equals(Buffer.from(a[i]!, 'base64url')))
}

/** Every refusal is a JSON object with a string `error` and no token. */
async function readRefusal(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text()
  assert.ok(res.status < 500, `status ${res.status}: ${text}`)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `not JSON (${res.status}): ${text.slice(0, 200)}`)
  const body: unknown = JSON.parse(text)
  assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body), `not a JSON object: ${text.slice(0, 200)}`)
  const record = Object.fromEntries(Object.entries(body))
  assert.equal(typeof record.error, 'string', `no string error: ${text.slice(0, 200)}`)
  assert.equal('access_token' in record, false, 'a refusal carried an access_token')
  return record
}
