/**
 * Property-based fuzzing of the MCP server's `/mcp` endpoint: the bearer check and the JSON-RPC body.
 *
 * (a) random `Authorization` headers, content types and bodies, (b) mutations of a valid access token
 * (bytes flipped, inserted or deleted in each segment, segments swapped, header and payload
 * re-encoded with random values and types, random `typ`/`alg`/`kid`/`aud`), (c) random JSON-RPC
 * bodies behind a valid token. Each property: never a 5xx; a bearer refusal is 401/403 with a JSON
 * string `error` and a `WWW-Authenticate: Bearer` challenge; only the unmodified token passes the
 * bearer check. `FUZZ_RUNS` cases per property (`npm run fuzz`).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { startAuthorizationServer, startResourceServer, type FakeAuthorizationServer, type RunningResourceServer } from './support.ts'

let as: FakeAuthorizationServer
let rs: RunningResourceServer
let token: string

before(async () => {
  as = await startAuthorizationServer()
  rs = await startResourceServer(as)
  token = await as.mint()
})
after(async () => {
  await rs.close()
  await as.close()
})

/** A request that needs no session: past the bearer check, the SDK answers it with a JSON-RPC error. */
const TOOLS_LIST = { jsonrpc: '2.0', id: 1, method: 'tools/list' }

function post(authorization: string | undefined, body: string, contentType = 'application/json'): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream', 'content-type': contentType }
  if (authorization !== undefined) headers.authorization = authorization
  return fetch(rs.resource, { method: 'POST', headers, body })
}

/** RS-05, RS-09: a bearer refusal is 401 (or 403) with a challenge and a JSON OAuth error. */
async function readBearerRefusal(res: Response): Promise<void> {
  assert.ok(res.status === 401 || res.status === 403 || res.status === 400, `status ${res.status}`)
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /)
  await readRefusal(res)
}

test('RS-05 RS-08 random Authorization headers, content types and bodies at /mcp: never a 5xx, always a JSON error', async () => {
  await fc.assert(fc.asyncProperty(
    fc.option(fc.oneof(fc.string(), fc.string().map((s) => `Bearer ${s}`), fc.constantFrom('Bearer', 'Bearer ', 'bearer a.b.c', 'Basic abc', 'Bearer a b')), { nil: undefined }),
    fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), fc.constant(JSON.stringify(TOOLS_LIST))),
    fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', ''),
    async (authorization, body, contentType) => {
      const res = await post(authorization?.replace(/[^\x20-\x7e]/g, '?'), body, contentType)
      // None of these carries a valid token. A body that is not JSON-RPC may be refused before the
      // bearer check (400, JSON-RPC error object); every 401/403 is a Bearer challenge.
      const text = await res.text()
      assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}: ${text.slice(0, 200)}`)
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, text.slice(0, 200))
      const parsed = JSON.parse(text) as { error?: unknown; access_token?: unknown }
      assert.ok(typeof parsed.error === 'string' || (typeof parsed.error === 'object' && parsed.error !== null), text)
      assert.equal(parsed.access_token, undefined)
      if (res.status === 401 || res.status === 403) assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /)
    },
  ), { numRuns: FUZZ_RUNS })
})

test('RS-08 RS-09 RS-10 RS-11 mutated access tokens at /mcp: never a 5xx, only the unmodified token passes the bearer check', async () => {
  await fc.assert(fc.asyncProperty(
    fc.option(jwtMutation(['typ', 'alg', 'kid', 'crit', 'b64', 'jku', 'jwk', 'x5u'], ['iss', 'sub', 'aud', 'client_id', 'scope', 'jti', 'iat', 'exp', 'nbf']), { nil: undefined, freq: 10 }),
    async (mutation) => {
      const presented = mutation === undefined ? token : safely(() => mutation.apply(token))
      const res = await post(`Bearer ${presented}`, JSON.stringify(TOOLS_LIST))
      const passed = res.status !== 401 && res.status !== 403
      if (presented === token) {
        assert.ok(passed, `the unmodified token passes the bearer check: ${res.status} ${await res.text()}`)
        assert.ok(res.status < 500)
        return
      }
      if (passed && sameBytes(token, presented)) return
      assert.ok(!passed || res.status >= 400, `${mutation?.kind}: a mutated token was served`)
      assert.ok(res.status !== 200, `${mutation?.kind}: a mutated token was served ${presented}`)
      if (res.status === 400 && res.headers.get('www-authenticate') === null) assert.fail(`${mutation?.kind}: a mutated token passed the bearer check ${presented}`)
      await readBearerRefusal(res)
    },
  ), { numRuns: FUZZ_RUNS })
})

test('RS-07 random JSON-RPC bodies behind a valid token at /mcp: never a 5xx, a JSON error for every refusal', async () => {
  const method = fc.oneof(fc.string(), fc.constantFrom('initialize', 'tools/list', 'tools/call', 'ping', 'notifications/initialized', 'resources/list'))
  const message = fc.record({
    jsonrpc: fc.oneof(fc.constant('2.0'), fc.jsonValue({ maxDepth: 1 })),
    id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.jsonValue({ maxDepth: 1 })),
    method,
    params: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ name: fc.oneof(fc.string(), fc.constantFrom('list_tasks', 'create_task')), arguments: fc.jsonValue({ maxDepth: 2 }) })),
  }, { requiredKeys: [] })
  await fc.assert(fc.asyncProperty(
    fc.oneof(message, fc.array(message, { maxLength: 3 })),
    fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
    async (body, sessionId) => {
      const headers: Record<string, string> = { accept: 'application/json, text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${token}` }
      if (sessionId !== undefined) headers['mcp-session-id'] = sessionId.replace(/[^\x21-\x7e]/g, '?') || '?'
      const res = await fetch(rs.resource, { method: 'POST', headers, body: JSON.stringify(body) })
      const text = await res.text()
      assert.ok(res.status < 500, `status ${res.status}: ${text.slice(0, 300)}`)
      if (res.status < 400) return
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `not JSON (${res.status}): ${text.slice(0, 200)}`)
      const parsed: unknown = JSON.parse(text)
      assert.ok(typeof parsed === 'object' && parsed !== null, text)
      const error = (parsed as { error?: unknown }).error
      // An OAuth refusal (RS-07 insufficient_scope) has a string error; a JSON-RPC one an error object with a numeric code.
      assert.ok(typeof error === 'string' || (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number'), text)
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
