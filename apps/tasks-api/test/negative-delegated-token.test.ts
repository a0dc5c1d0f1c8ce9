import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateSigningKey, signIdJag } from '@ema/tokens'
import { parseChallenge } from '@ema/test-kit'
import {
  AGENT,
  ALICE,
  MCP_SERVER,
  type FakeAuthorizationServer,
  startTasksApi,
  type RunningTasksApi,
  useTasksApi,
} from './support/tasks-api.ts'

// OBO-01, OBO-13, OBO-18, OBO-19: every token the Tasks API must refuse, each with the RFC 6750 code,
// status and an actionable description, and a Bearer challenge. Never a 500, never a stack trace.

let as: FakeAuthorizationServer
let api: RunningTasksApi
useTasksApi((suite) => ({ as, api } = suite))

interface Case {
  title: string
  token: () => Promise<string | undefined>
  method?: 'GET' | 'POST'
  path?: string
  /** Default: 401 invalid_token. */
  status?: number
  error?: string
  description: RegExp
  /** The challenge's scope parameter, when the case checks it. */
  scope?: string
}

const hourAgo = () => new Date(Date.now() - 3_600_000)

const cases: Case[] = [
  {
    title:
      'OBO-01 the inbound MCP access token passed through (aud = the MCP server, no act) is refused: passthrough fails loudly',
    token: () =>
      as.mint({
        audience: 'http://localhost:4003/mcp',
        clientId: AGENT,
        extraClaims: { idp: 'http://localhost:4001' },
      }),
    description: /not for this resource/,
  },
  {
    title: 'OBO-19 a token for this API without act (no delegation) is refused',
    token: () => as.mint({ extraClaims: {} }),
    description: /^delegation required: the token has no act claim$/,
  },
  {
    title: 'OBO-13 a current actor that is not allowed is refused, naming it',
    token: () =>
      as.mint({ clientId: 'tasks-other', extraClaims: { act: { sub: 'tasks-other', act: { sub: AGENT } } } }),
    description: /^actor tasks-other is not allowed to act at this API$/,
  },
  {
    title: 'OBO-13 only the outermost act counts: an allowed actor deeper in the chain gives no authority',
    token: () => as.mint({ extraClaims: { act: { sub: 'tasks-other', act: { sub: MCP_SERVER } } } }),
    description: /actor tasks-other is not allowed/,
  },
  {
    title: 'OBO-13 a malformed act (no sub) is refused',
    token: () => as.mint({ extraClaims: { act: { client_id: MCP_SERVER } } }),
    description: /"act" claim must be an object/,
  },
  {
    title: 'OBO-18 wrong aud (another API) is refused',
    token: () => as.mint({ audience: 'http://localhost:4005' }),
    description: /not for this resource/,
  },
  {
    title: 'OBO-18 wrong iss is refused',
    token: () => as.mint({ issuer: 'http://localhost:1' }),
    description: /issuer|iss/i,
  },
  {
    title: 'OBO-18 an expired token is refused',
    token: () => as.mint({ now: hourAgo(), expiresInSeconds: 300 }),
    description: /expired/,
  },
  {
    title: "OBO-18 a forged token (another key under the AS's kid) is refused",
    token: async () => as.mint({ key: { ...(await generateSigningKey()), kid: as.key.kid } }),
    description: /signature/,
  },
  {
    title: 'OBO-18 a token of another type (an ID-JAG, typ oauth-id-jag+jwt) is refused',
    token: () =>
      signIdJag({
        issuer: as.issuer,
        subject: ALICE,
        audience: api.config.identifier,
        clientId: MCP_SERVER,
        resource: api.config.identifier,
        scope: 'tasks.read',
        expiresInSeconds: 300,
        now: new Date(),
        key: as.key,
      }),
    description: /typ/,
  },
  {
    title:
      "OBO-18 a token without the route's scope: POST /tasks with tasks.read → 403 insufficient_scope naming tasks.write",
    token: () => as.mint({ scope: 'tasks.read' }),
    method: 'POST',
    path: '/tasks',
    status: 403,
    error: 'insufficient_scope',
    description: /needs the scope tasks.write/,
    scope: 'tasks.write',
  },
  {
    title:
      "OBO-18 a token without the route's scope: GET /tasks with tasks.write → 403 insufficient_scope naming tasks.read",
    token: () => as.mint({ scope: 'tasks.write' }),
    status: 403,
    error: 'insufficient_scope',
    description: /needs the scope tasks.read/,
    scope: 'tasks.read',
  },
  {
    title: 'OBO-18 GET /whoami needs tasks.read too',
    token: () => as.mint({ scope: '' }),
    path: '/whoami',
    status: 403,
    error: 'insufficient_scope',
    description: /needs the scope tasks.read/,
    scope: 'tasks.read',
  },
  { title: 'a malformed token is refused', token: async () => 'not-a-jwt', description: /./ },
]

for (const { status = 401, error = 'invalid_token', ...c } of cases) {
  test(c.title, async () => {
    const token = await c.token()
    const res = await fetch(`${api.url}${c.path ?? '/tasks'}`, {
      method: c.method ?? 'GET',
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        'content-type': 'application/json',
      },
      ...(c.method === 'POST' ? { body: JSON.stringify({ title: 'must not be added' }) } : {}),
    })
    assert.equal(res.status, status)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    const body = (await res.json()) as { error: string; error_description: string }
    assert.equal(body.error, error)
    assert.match(body.error_description, c.description)
    const challenge = parseChallenge(res.headers.get('www-authenticate'))
    assert.equal(challenge.scheme, 'Bearer')
    assert.equal(challenge.params['error'], error)
    if (c.scope !== undefined) assert.equal(challenge.params['scope'], c.scope)
  })
}

test('RS-05 no token: 401 with a challenge that names no error', async () => {
  const res = await fetch(`${api.url}/tasks`)
  assert.equal(res.status, 401)
  const challenge = parseChallenge(res.headers.get('www-authenticate'))
  assert.equal(challenge.params['error'], undefined)
  assert.match(challenge.params['resource_metadata'] ?? '', /\/\.well-known\/oauth-protected-resource$/)
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_token')
})

test('RS-12 a token in the query string is refused with 400 invalid_request', async () => {
  const res = await fetch(`${api.url}/tasks?access_token=${await as.mint()}`)
  assert.equal(res.status, 400)
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_request')
})

test('OBO-13 TASKS_API_ALLOWED_ACTORS replaces the allowed actors', async () => {
  const other = await startTasksApi(as.issuer, { TASKS_API_ALLOWED_ACTORS: 'tasks-other, another' })
  try {
    const mint = (sub: string) => signAt(other.config.identifier, sub)
    assert.equal(
      (await fetch(`${other.url}/whoami`, { headers: { authorization: `Bearer ${await mint('tasks-other')}` } }))
        .status,
      200,
    )
    assert.equal(
      (await fetch(`${other.url}/whoami`, { headers: { authorization: `Bearer ${await mint(MCP_SERVER)}` } })).status,
      401,
    )
  } finally {
    await other.close()
  }
})

test('no refused request wrote a task', async () => {
  assert.ok(!(await api.store.writes()).some((w) => w.sub !== ALICE || w.actor !== MCP_SERVER))
  assert.equal(
    (await api.store.list({ iss: as.issuer, sub: ALICE })).filter((t) => t.title === 'must not be added').length,
    0,
  )
})

function signAt(audience: string, actor: string): Promise<string> {
  return as.mint({ audience, extraClaims: { act: { sub: actor, act: { sub: AGENT } } } })
}
