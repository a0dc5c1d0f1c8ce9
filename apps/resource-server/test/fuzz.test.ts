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
import { test } from 'node:test'
import fc from 'fast-check'
import { fuzzJwtMutations, fuzzRuns, readRefusal } from '@ema/test-kit'
import {
  type FakeAuthorizationServer,
  type RunningResourceServer,
  useResourceServer,
} from './support/resource-server.ts'

let as: FakeAuthorizationServer
let rs: RunningResourceServer
let token: string

useResourceServer(async (suite) => {
  ;({ as, rs } = suite)
  token = await as.mint()
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
  await fc.assert(
    fc.asyncProperty(
      fc.option(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `Bearer ${s}`),
          fc.constantFrom('Bearer', 'Bearer ', 'bearer a.b.c', 'Basic abc', 'Bearer a b'),
        ),
        { nil: undefined },
      ),
      fc.oneof(
        fc.string(),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
        fc.constant(JSON.stringify(TOOLS_LIST)),
      ),
      fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', ''),
      async (authorization, body, contentType) => {
        const res = await post(authorization?.replace(/[^\x20-\x7e]/g, '?'), body, contentType)
        // None of these carries a valid token, so the bearer check refuses each one before any JSON is
        // parsed; only a form body is read first (RS-12). Every 401/403 is a Bearer challenge.
        const text = await res.text()
        assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}: ${text.slice(0, 200)}`)
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/, text.slice(0, 200))
        const parsed = JSON.parse(text) as { error?: unknown; access_token?: unknown }
        assert.ok(typeof parsed.error === 'string' || (typeof parsed.error === 'object' && parsed.error !== null), text)
        assert.equal(parsed.access_token, undefined)
        if (res.status === 401 || res.status === 403)
          assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /)
        if (contentType !== 'application/x-www-form-urlencoded')
          assert.ok(
            typeof parsed.error === 'string',
            `an OAuth error from the bearer check, not a JSON-RPC one: ${text.slice(0, 200)}`,
          )
      },
    ),
    { numRuns: FUZZ_RUNS },
  )
})

test('RS-08 RS-09 RS-10 RS-11 mutated access tokens at /mcp: never a 5xx, only the unmodified token passes the bearer check', async () => {
  await fuzzJwtMutations({
    label: 'access token',
    claimNames: ['iss', 'sub', 'aud', 'client_id', 'scope', 'jti', 'iat', 'exp', 'nbf'],
    genuine: () => token,
    send: (presented) => post(`Bearer ${presented}`, JSON.stringify(TOOLS_LIST)),
    // Past the bearer check, the SDK may still answer 400 without a session; a refusal has a challenge.
    accepted: (res) =>
      res.status !== 401 && res.status !== 403 && !(res.status === 400 && res.headers.has('www-authenticate')),
    refused: readBearerRefusal,
  })
})

test('RS-07 random JSON-RPC bodies behind a valid token at /mcp: never a 5xx, a JSON error for every refusal', async () => {
  const method = fc.oneof(
    fc.string(),
    fc.constantFrom('initialize', 'tools/list', 'tools/call', 'ping', 'notifications/initialized', 'resources/list'),
  )
  const message = fc.record(
    {
      jsonrpc: fc.oneof(fc.constant('2.0'), fc.jsonValue({ maxDepth: 1 })),
      id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.jsonValue({ maxDepth: 1 })),
      method,
      params: fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.record({
          name: fc.oneof(fc.string(), fc.constantFrom('list_tasks', 'create_task')),
          arguments: fc.jsonValue({ maxDepth: 2 }),
        }),
      ),
    },
    { requiredKeys: [] },
  )
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(message, fc.array(message, { maxLength: 3 })),
      fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
      async (body, sessionId) => {
        const headers: Record<string, string> = {
          accept: 'application/json, text/event-stream',
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
        }
        if (sessionId !== undefined) headers['mcp-session-id'] = sessionId.replace(/[^\x21-\x7e]/g, '?') || '?'
        const res = await fetch(rs.resource, { method: 'POST', headers, body: JSON.stringify(body) })
        const text = await res.text()
        assert.ok(res.status < 500, `status ${res.status}: ${text.slice(0, 300)}`)
        if (res.status < 400) return
        assert.match(
          res.headers.get('content-type') ?? '',
          /^application\/json/,
          `not JSON (${res.status}): ${text.slice(0, 200)}`,
        )
        const parsed: unknown = JSON.parse(text)
        assert.ok(typeof parsed === 'object' && parsed !== null, text)
        const error = (parsed as { error?: unknown }).error
        // An OAuth refusal (RS-07 insufficient_scope) has a string error; a JSON-RPC one an error object with a numeric code.
        assert.ok(
          typeof error === 'string' ||
            (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number'),
          text,
        )
      },
    ),
    { numRuns: FUZZ_RUNS },
  )
})

const FUZZ_RUNS = fuzzRuns(process.env.FUZZ_RUNS)
