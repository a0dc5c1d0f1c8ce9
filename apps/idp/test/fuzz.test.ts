/**
 * Property-based fuzzing of the IdP's token endpoint (RFC 8693 token exchange, ID token → ID-JAG).
 *
 * (a) random form parameters and headers, (b) mutations of a valid ID token used as subject_token
 * (bytes flipped, inserted or deleted in each segment, segments swapped, header and payload
 * re-encoded with random values and types, random `typ`/`alg`/`kid`/`aud`). Each property: never a
 * 5xx; every refusal is a JSON object with a string `error` and no `access_token`; a 200 only for the
 * unmodified ID token. `FUZZ_RUNS` cases per property (`npm run fuzz`).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { createLogger, listen, type Listening } from '@ema/server-kit'
import { generateSigningKey, GRANT_TYPE, TOKEN_TYPE } from '@ema/tokens'
import { createIdpApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { ACME_AGENT, AS_ISSUER, CLIENT_URL, RS_RESOURCE, exchange, signIn } from './helpers.ts'

let idp: Listening
let idToken: string

before(async () => {
  // An instance of its own: the fuzzer outruns any rate limit (TOKEN_RATE_LIMIT_PER_MINUTE=0).
  idp = await listen({ port: 0 })
  const config = loadConfig({ IDP_ISSUER: idp.url, AS_ISSUER, RS_RESOURCE, CLIENT_URL, ALLOW_INSECURE_HTTP: 'true', TOKEN_RATE_LIMIT_PER_MINUTE: '0' })
  const log = createLogger({ name: 'idp', write: () => {} })
  idp.server.on('request', createIdpApp(config, { signingKey: await generateSigningKey('ES256'), now: () => new Date(), log }))
  idToken = await signIn(idp, { client: ACME_AGENT, username: 'alice', password: 'alice-password' })
})
after(() => idp.close())

const BASIC = `Basic ${Buffer.from('acme-agent:acme-agent-idp-secret').toString('base64')}`
const FORM_NAMES = ['grant_type', 'subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'resource', 'scope', 'actor_token', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type']

test('IDP-04 IDP-09 SEC-04 random form parameters and headers at /token: never a 5xx, never a token, always a JSON OAuth error', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...FORM_NAMES), fc.string()), fc.oneof(fc.string(), fc.constantFrom(GRANT_TYPE.TOKEN_EXCHANGE, TOKEN_TYPE.ID_TOKEN, TOKEN_TYPE.ID_JAG, AS_ISSUER, RS_RESOURCE, 'acme-agent', 'a.b.c'))), { maxLength: 8 }),
    fc.option(fc.oneof(fc.constant(BASIC), fc.string().map((s) => `Basic ${s}`), fc.string().map((s) => `Basic ${Buffer.from(s).toString('base64')}`), fc.string()), { nil: undefined }),
    fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data', ''),
    async (pairs, authorization, contentType) => {
      const headers: Record<string, string> = { accept: 'application/json' }
      if (contentType !== '') headers['content-type'] = contentType
      if (authorization !== undefined) headers.authorization = authorization.replace(/[^\x20-\x7e]/g, '?')
      const body = contentType === 'application/json' ? JSON.stringify(Object.fromEntries(pairs)) : new URLSearchParams(pairs).toString()
      const res = await fetch(`${idp.url}/token`, { method: 'POST', headers, body })
      assert.notEqual(res.status, 200, 'no ID token was presented, so no token')
      await readRefusal(res)
    },
  ), { numRuns: FUZZ_RUNS })
})

test('IDP-05 SEC-04 mutated ID tokens as subject_token: never a 5xx, an ID-JAG only for the unmodified ID token, always a JSON OAuth error', async () => {
  await fc.assert(fc.asyncProperty(
    fc.option(jwtMutation(['typ', 'alg', 'kid', 'crit', 'b64', 'jku', 'jwk', 'x5u'], ['iss', 'sub', 'aud', 'azp', 'iat', 'exp', 'nbf', 'auth_time', 'nonce']), { nil: undefined, freq: 10 }),
    async (mutation) => {
      const subjectToken = mutation === undefined ? idToken : safely(() => mutation.apply(idToken))
      const res = await fetch(`${idp.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC },
        body: new URLSearchParams({ grant_type: GRANT_TYPE.TOKEN_EXCHANGE, requested_token_type: TOKEN_TYPE.ID_JAG, subject_token_type: TOKEN_TYPE.ID_TOKEN, audience: AS_ISSUER, resource: RS_RESOURCE, subject_token: subjectToken }),
      })
      if (subjectToken === idToken) {
        assert.equal(res.status, 200, `the unmodified ID token is accepted: ${await res.text()}`)
        return
      }
      if (res.status === 200 && sameBytes(idToken, subjectToken)) return
      assert.notEqual(res.status, 200, `${mutation?.kind}: an ID-JAG for a mutated ID token ${subjectToken}`)
      await readRefusal(res)
    },
  ), { numRuns: FUZZ_RUNS })
})

test('IDP-14 IDP-44 random audience, resource and scope with a valid ID token: never a 5xx, always a JSON OAuth error when refused', async () => {
  await fc.assert(fc.asyncProperty(
    fc.record({ audience: fc.oneof(fc.string(), fc.constant(AS_ISSUER)), resource: fc.oneof(fc.string(), fc.constant(RS_RESOURCE)), scope: fc.option(fc.string(), { nil: undefined }) }),
    async (params) => {
      const res = await exchange(idp, { subject_token: idToken, ...params })
      if (res.status === 200) {
        assert.equal(params.audience, AS_ISSUER, 'an ID-JAG only for the registered audience')
        // An empty resource counts as omitted (RFC 6749 §3.1), and then the audience's only MCP server
        // is used (IDP-15); any other value must be the registered resource itself.
        assert.ok(params.resource === RS_RESOURCE || params.resource === '', `an ID-JAG for resource ${JSON.stringify(params.resource)}`)
        const payload = String(res.body.access_token).split('.')[1] ?? ''
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { resource?: unknown; aud?: unknown }
        assert.equal(claims.resource, RS_RESOURCE, 'the ID-JAG names the registered resource')
        assert.equal(claims.aud, AS_ISSUER, 'the ID-JAG names the registered audience')
        return
      }
      assert.ok(res.status < 500, `status ${res.status}`)
      assert.equal(typeof res.body.error, 'string')
      assert.equal('access_token' in res.body, false)
    },
  ), { numRuns: FUZZ_RUNS })
})

/** A mutation of a segment that is not JSON throws while re-encoding; such cases send a broken token. */
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
