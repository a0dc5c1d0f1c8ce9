/**
 * Negative integration suite for the on-behalf-of token exchange (OBO-02 … OBO-16) at the
 * authorization server's token endpoint.
 *
 * Table-driven and over real HTTP: every row is one `test(...)` whose title names the requirement and
 * the attack, and asserts the HTTP status, the `error` code, the description (what a developer reads
 * to fix the request) and that no token was issued. The server's clock is frozen at `T` so that the
 * clock-skew edges are exact. docs/security.md maps each group to its requirement.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey, type JsonWebKey } from 'node:crypto'
import { SignJWT } from 'jose'
import { GRANT_TYPE, JWT_TYP, TOKEN_TYPE, generateSigningKey, type SigningKey } from '@ema/tokens'
import {
  AGENT,
  CALENDAR_API,
  MCP_CLIENT,
  MCP_SERVER,
  NO_GRANT_CLIENT,
  OFF_CLIENT,
  OTHER_CLIENT,
  OTHER_MCP_SERVER,
  READ_ONLY_CLIENT,
  TASKS_API,
  exchange,
  mintSubjectToken,
  startOboAs,
  type ExchangeOptions,
  type MintSubjectOptions,
  type OboAs,
} from './support/on-behalf-of.ts'

/** The frozen "now" of the authorization server, in seconds. */
const T = Math.floor(Date.now() / 1000)
const SKEW = 30 // the default CLOCK_SKEW_SECONDS

let as: OboAs
let attackerKey: SigningKey

before(async () => {
  attackerKey = await generateSigningKey('ES256')
  as = await startOboAs({ now: () => new Date(T * 1000) })
})
after(async () => {
  await as.close()
})

// ---------------------------------------------------------------------------------------------
// Crafting

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')
const json = (value: unknown) => b64(JSON.stringify(value))

/** A subject token as this server issues it, at the frozen `T`, with overrides. */
function subject(options: MintSubjectOptions = {}): Promise<string> {
  return mintSubjectToken(as, { now: T, ...options })
}

/** The default subject token claims at `T`, for tokens crafted by hand. */
function subjectClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: as.url,
    sub: 'acme|u-1001',
    aud: MCP_SERVER,
    client_id: AGENT.id,
    scope: 'tasks.read tasks.write',
    jti: crypto.randomUUID(),
    iat: T,
    exp: T + 600,
    ...extra,
  }
}

/** A chain of `depth` actors, outermost the subject's client. */
function actChain(depth: number): Record<string, unknown> {
  let chain: Record<string, unknown> | undefined
  for (let i = depth; i >= 1; i--)
    chain = { sub: i === 1 ? AGENT.id : `actor-${i}`, ...(chain === undefined ? {} : { act: chain }) }
  return chain ?? {}
}

/** A token the exchange itself issued (aud = the Tasks API): exchanged at the real clock-free path. */
async function downstreamToken(): Promise<string> {
  const res = await exchange(as, await subject())
  const body = (await res.json()) as { access_token?: string }
  assert.equal(res.status, 200, JSON.stringify(body))
  return String(body.access_token)
}

// ---------------------------------------------------------------------------------------------
// Asserting

/** Every refusal: status, `error`, a description matching `description`, and no token of any kind. */
async function assertRefused(res: Response, status: number, error: string, description: RegExp): Promise<void> {
  const text = await res.text()
  let body: Record<string, unknown>
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    assert.fail(
      `expected a JSON error body, got ${res.status} ${res.headers.get('content-type')}: ${text.slice(0, 200)}`,
    )
  }
  assert.equal(body.access_token, undefined, 'a refusal must never carry an access_token')
  assert.equal(body.refresh_token, undefined)
  assert.equal(res.status, status, text)
  assert.equal(body.error, error, text)
  assert.equal(typeof body.error_description, 'string')
  assert.match(String(body.error_description), description, text)
  assert.doesNotMatch(text, /\n\s+at /, 'no stack trace')
}

interface Row {
  id: string
  attack: string
  /** The subject token (default: a valid one). */
  subjectToken?: () => Promise<string> | string
  options?: ExchangeOptions
  status?: number
  error: string
  description: RegExp
}

function table(name: string, rows: Row[]): void {
  describe(name, () => {
    for (const row of rows) {
      test(`${row.id} refuses ${row.attack}`, async () => {
        const token = row.subjectToken === undefined ? await subject() : await row.subjectToken()
        await assertRefused(await exchange(as, token, row.options), row.status ?? 400, row.error, row.description)
      })
    }
  })
}

const as_ = (client: { id: string; secret: string }): ExchangeOptions => ({
  auth: { method: 'client_secret_basic', ...client },
})

// ---------------------------------------------------------------------------------------------
// Who may exchange (OBO-07, OBO-10)

table('the client (OBO-07, OBO-10)', [
  {
    id: 'OBO-10',
    attack: 'a client whose token_exchange does not list on_behalf_of_token_exchange (the switch off)',
    options: as_(OFF_CLIENT),
    error: 'unauthorized_client',
    description:
      /client tasks-mcp-server-off is not switched on for the on-behalf-of token exchange; register it with token_exchange\.allow_any_profile_of_type \["on_behalf_of_token_exchange"\]/,
  },
  {
    id: 'OBO-10',
    attack: 'a client with no token_exchange at all (the original agent client)',
    options: as_(AGENT),
    error: 'unauthorized_client',
    description: /client acme-agent-tasks is not switched on/,
  },
  {
    id: 'OBO-07',
    attack: 'a public client (client_id only, no credentials)',
    options: { auth: { method: 'client_id_only', id: MCP_CLIENT.id } },
    status: 401,
    error: 'invalid_client',
    description: /./,
  },
  {
    id: 'OBO-07',
    attack: 'no client authentication at all',
    options: { auth: { method: 'none' } },
    status: 401,
    error: 'invalid_client',
    description: /client authentication is required/,
  },
  {
    id: 'OBO-07',
    attack: 'a wrong client secret',
    options: { auth: { method: 'client_secret_basic', id: MCP_CLIENT.id, secret: 'wrong' } },
    status: 401,
    error: 'invalid_client',
    description: /./,
  },
  {
    id: 'OBO-10',
    attack: 'a subject token for the MCP server, from a client tied to another MCP server',
    options: as_(OTHER_CLIENT),
    error: 'invalid_request',
    description:
      /^the subject_token is not acceptable: the access token is not for this resource \(http:\/\/localhost:4013\/mcp\)$/,
  },
  {
    id: 'OBO-10',
    attack: 'a subject token addressed to another MCP server, from the client tied to this one',
    subjectToken: () => subject({ claims: { aud: OTHER_MCP_SERVER } }),
    error: 'invalid_request',
    description: /the access token is not for this resource \(http:\/\/localhost:4003\/mcp\)/,
  },
])

// ---------------------------------------------------------------------------------------------
// The subject token (OBO-02, OBO-09: invalid_request)

const HS_SECRET = () =>
  createPublicKey({ key: as.key.publicJwk as JsonWebKey, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString()

table('the subject token (OBO-02, OBO-09)', [
  {
    id: 'OBO-09',
    attack: 'an expired subject token',
    subjectToken: () => subject({ claims: { iat: T - 700, exp: T - SKEW - 1 } }),
    error: 'invalid_request',
    description: /^the subject_token is not acceptable: the access token (has expired|expired at)/,
  },
  {
    id: 'OBO-09 OBO-12',
    attack: 'a subject token that expired within the clock skew (nothing can be issued that expires in time)',
    subjectToken: () => subject({ claims: { iat: T - 500, exp: T - 5 } }),
    error: 'invalid_request',
    description: /the subject_token has expired or expires within a second/,
  },
  {
    id: 'OBO-09',
    attack: 'a subject token issued in the future',
    subjectToken: () => subject({ claims: { iat: T + SKEW + 60, exp: T + 600 } }),
    error: 'invalid_request',
    description: /issued in the future/,
  },
  {
    id: 'OBO-02 OBO-09',
    attack: "a forged subject token (signed by an attacker key under the server's kid)",
    subjectToken: () => subject({ signWith: attackerKey }),
    error: 'invalid_request',
    description: /signature does not verify/,
  },
  {
    id: 'OBO-09',
    attack: 'an unknown kid',
    subjectToken: () => subject({ header: { kid: 'no-such-key' } }),
    error: 'invalid_request',
    description: /no key .* matches its "kid"/,
  },
  {
    id: 'OBO-09',
    attack: 'alg none',
    subjectToken: () => `${json({ alg: 'none', typ: JWT_TYP.ACCESS_TOKEN })}.${json(subjectClaims())}.`,
    error: 'invalid_request',
    description: /not a compact signed JWT|not an allowed algorithm/,
  },
  {
    id: 'OBO-09',
    attack: "HS256 signed with the server's public key (key confusion)",
    subjectToken: () =>
      new SignJWT(subjectClaims())
        .setProtectedHeader({ alg: 'HS256', kid: as.key.kid, typ: JWT_TYP.ACCESS_TOKEN })
        .sign(new TextEncoder().encode(HS_SECRET())),
    error: 'invalid_request',
    description: /"HS256", which is not an allowed algorithm/,
  },
  {
    id: 'OBO-09',
    attack: 'a subject token of another issuer',
    subjectToken: () => subject({ claims: { iss: 'http://localhost:4001' } }),
    error: 'invalid_request',
    description: /issuer "http:\/\/localhost:4001" is not trusted/,
  },
  {
    id: 'OBO-09',
    attack: 'typ "JWT" (not an RFC 9068 access token)',
    subjectToken: () => subject({ header: { typ: 'JWT' } }),
    error: 'invalid_request',
    description: /has typ "JWT"; expected "at\+jwt"/,
  },
  {
    id: 'OBO-09',
    attack: 'no typ',
    subjectToken: () => subject({ header: { typ: undefined } }),
    error: 'invalid_request',
    description: /has typ \(none\); expected "at\+jwt"/,
  },
  {
    id: 'OBO-09',
    attack: "an ID-JAG as the subject token (even one signed with the server's own key)",
    subjectToken: () => subject({ header: { typ: JWT_TYP.ID_JAG }, claims: { aud: as.url, resource: MCP_SERVER } }),
    error: 'invalid_request',
    description: /has typ "oauth-id-jag\+jwt"; expected "at\+jwt"/,
  },
  {
    id: 'OBO-09',
    attack: 'an ID token (of the IdP) as the subject token',
    subjectToken: () =>
      new SignJWT({ iss: 'http://localhost:4001', sub: 'u-1001', aud: AGENT.id, iat: T, exp: T + 300, nonce: 'n' })
        .setProtectedHeader({ alg: 'ES256', kid: 'idp-key', typ: 'JWT' })
        .sign(attackerKey.privateKey),
    error: 'invalid_request',
    description: /has typ "JWT"; expected "at\+jwt"/,
  },
  {
    id: 'OBO-09 OBO-01',
    attack: 'a downstream (already exchanged) token as the subject token',
    subjectToken: downstreamToken,
    error: 'invalid_request',
    description: /the access token is not for this resource \(http:\/\/localhost:4003\/mcp\)/,
  },
  {
    id: 'OBO-09',
    attack: 'an aud array naming the MCP server and the Tasks API',
    subjectToken: () => subject({ claims: { aud: [MCP_SERVER, TASKS_API] } }),
    error: 'invalid_request',
    description: /its "aud" must be exactly "http:\/\/localhost:4003\/mcp", one value/,
  },
  {
    id: 'OBO-09',
    attack: 'a subject token without sub',
    subjectToken: () => subject({ claims: { sub: undefined } }),
    error: 'invalid_request',
    description: /has no "sub" claim/,
  },
  {
    id: 'OBO-09',
    attack: 'a subject token without client_id',
    subjectToken: () => subject({ claims: { client_id: undefined } }),
    error: 'invalid_request',
    description: /has no "client_id" claim/,
  },
  {
    id: 'OBO-09',
    attack: 'a subject token without jti',
    subjectToken: () => subject({ claims: { jti: undefined } }),
    error: 'invalid_request',
    description: /has no "jti" claim/,
  },
  {
    id: 'OBO-09',
    attack: 'a subject token that is not a JWT',
    subjectToken: () => 'opaque-access-token-1234',
    error: 'invalid_request',
    description: /not a compact signed JWT/,
  },
  {
    id: 'OBO-09',
    attack: 'a 5-part JWE as the subject token',
    subjectToken: () => `${json({ alg: 'dir', enc: 'A128GCM' })}..${b64('iv')}.${b64('ct')}.${b64('tag')}`,
    error: 'invalid_request',
    description: /encrypted \(JWE\)/,
  },
  {
    id: 'OBO-09',
    attack: 'a subject token longer than 8192 characters',
    subjectToken: () => subject({ claims: { padding: 'x'.repeat(9000) } }),
    error: 'invalid_request',
    description: /longer than 8192 characters/,
  },
  {
    id: 'OBO-09',
    attack: 'an act claim that is a string',
    subjectToken: () => subject({ claims: { act: 'acme-agent-tasks' } }),
    error: 'invalid_request',
    description: /an "act" claim must be a JSON object/,
  },
  {
    id: 'OBO-09',
    attack: 'an act claim without sub',
    subjectToken: () => subject({ claims: { act: { client_id: 'x' } } }),
    error: 'invalid_request',
    description: /every actor in its "act" claim must have a string "sub"/,
  },
  {
    id: 'OBO-09',
    attack: 'a nested act whose prior actor has no sub',
    subjectToken: () => subject({ claims: { act: { sub: AGENT.id, act: { sub: 42 } } } }),
    error: 'invalid_request',
    description: /every actor in its "act" claim must have a string "sub"/,
  },
  {
    id: 'OBO-09 OBO-11',
    attack: 'a may_act claim that is not an object with a string sub',
    subjectToken: () => subject({ claims: { may_act: 'tasks-mcp-server' } }),
    error: 'invalid_request',
    description: /its "may_act" claim must be an object with a string "sub"/,
  },
])

// ---------------------------------------------------------------------------------------------
// may_act and the delegation depth (OBO-11, OBO-16)

table('may_act and the actor chain (OBO-11, OBO-16)', [
  {
    id: 'OBO-11',
    attack: 'a subject token whose may_act names another client',
    subjectToken: () => subject({ claims: { may_act: { sub: 'tasks-other' } } }),
    error: 'invalid_request',
    description:
      /^the subject_token's may_act allows only tasks-other to act for its subject, not client tasks-mcp-server$/,
  },
  {
    id: 'OBO-11',
    attack: 'a may_act naming this client at another issuer',
    subjectToken: () => subject({ claims: { may_act: { sub: MCP_CLIENT.id, iss: 'https://elsewhere.example' } } }),
    error: 'invalid_request',
    description: /may_act names an actor of another issuer \(https:\/\/elsewhere\.example\)/,
  },
  {
    id: 'OBO-16',
    attack: 'a subject whose act chain already holds 5 actors (the issued token would hold 6)',
    subjectToken: () => subject({ claims: { act: actChain(5) } }),
    error: 'invalid_request',
    description: /the delegation chain is too deep: the token would name more than 5 actors/,
  },
  {
    id: 'OBO-16',
    attack: 'a subject with a 50-deep act chain',
    subjectToken: () => subject({ claims: { act: actChain(50) } }),
    error: 'invalid_request',
    description: /the delegation chain is too deep/,
  },
])

// ---------------------------------------------------------------------------------------------
// The request (OBO-03 … OBO-08)

table('the request (OBO-03 … OBO-08)', [
  {
    id: 'OBO-03',
    attack: 'a missing subject_token',
    options: { params: { subject_token: undefined } },
    error: 'invalid_request',
    description: /the "subject_token" parameter is required/,
  },
  {
    id: 'OBO-03',
    attack: 'an empty subject_token',
    subjectToken: () => '',
    error: 'invalid_request',
    description: /the "subject_token" parameter is required/,
  },
  {
    id: 'OBO-03',
    attack: 'a missing subject_token_type',
    options: { params: { subject_token_type: undefined } },
    error: 'invalid_request',
    description: /subject_token_type must be urn:ietf:params:oauth:token-type:access_token/,
  },
  ...[TOKEN_TYPE.ID_JAG, TOKEN_TYPE.ID_TOKEN, TOKEN_TYPE.REFRESH_TOKEN, 'access_token'].map((type): Row => ({
    id: 'OBO-03',
    attack: `subject_token_type ${type}`,
    options: { params: { subject_token_type: type } },
    error: 'invalid_request',
    description:
      /subject_token_type must be urn:ietf:params:oauth:token-type:access_token: this authorization server exchanges only its own access tokens/,
  })),
  ...[TOKEN_TYPE.ID_JAG, TOKEN_TYPE.REFRESH_TOKEN, TOKEN_TYPE.ID_TOKEN].map((type): Row => ({
    id: 'OBO-04',
    attack: `requested_token_type ${type}`,
    options: { params: { requested_token_type: type } },
    error: 'invalid_request',
    description: /requested_token_type must be urn:ietf:params:oauth:token-type:access_token/,
  })),
  {
    id: 'OBO-08',
    attack: 'an actor_token (the actor is the authenticated client)',
    options: { params: { actor_token: 'a.b.c', actor_token_type: TOKEN_TYPE.ACCESS_TOKEN } },
    error: 'invalid_request',
    description: /actor_token is not supported: the actor is the authenticated client/,
  },
  {
    id: 'OBO-08',
    attack: 'an actor_token_type without actor_token',
    options: { params: { actor_token_type: TOKEN_TYPE.ACCESS_TOKEN } },
    error: 'invalid_request',
    description: /actor_token_type is not supported/,
  },
  {
    id: 'OBO-03',
    attack: 'subject_token twice',
    options: { extra: [['subject_token', 'x.y.z']] },
    error: 'invalid_request',
    description: /subject_token/,
  },
  {
    id: 'OBO-06',
    attack: 'scope twice',
    options: { params: { scope: 'tasks.read' }, extra: [['scope', 'tasks.write']] },
    error: 'invalid_request',
    description: /scope/,
  },
  {
    id: 'OBO-05',
    attack: 'neither audience nor resource',
    options: { params: { audience: undefined } },
    error: 'invalid_request',
    description: /name the downstream API with the "audience" and\/or "resource" parameter/,
  },
  // oidc-provider drops empty parameters, so an empty audience is no audience.
  {
    id: 'OBO-05',
    attack: 'an empty audience',
    options: { params: { audience: '' } },
    error: 'invalid_request',
    description: /name the downstream API with the "audience" and\/or "resource" parameter/,
  },
  {
    id: 'AS-28',
    attack: 'authorization_details (RFC 9396, knowingly unmet: fail closed)',
    options: { params: { authorization_details: '[{"type":"tasks"}]', resource: TASKS_API } },
    error: 'invalid_authorization_details',
    description: /authorization_details \(RFC 9396\) is not supported/,
  },
])

// ---------------------------------------------------------------------------------------------
// The target (OBO-05, OBO-16: invalid_target)

table('the downstream API (OBO-05, OBO-16)', [
  {
    id: 'OBO-16 OBO-20',
    attack: 'an unknown audience (an API of another trust domain: that hop needs its own ID-JAG)',
    options: { params: { audience: 'https://payroll.example' } },
    error: 'invalid_target',
    description: /^"https:\/\/payroll\.example" is not a downstream API of this authorization server$/,
  },
  {
    id: 'OBO-16',
    attack: 'an unknown resource',
    options: { params: { audience: undefined, resource: 'http://localhost:4099' } },
    error: 'invalid_target',
    description: /"http:\/\/localhost:4099" is not a downstream API/,
  },
  {
    id: 'OBO-16 OBO-01',
    attack: 'the MCP server itself as audience (no token laundering)',
    options: { params: { audience: MCP_SERVER } },
    error: 'invalid_target',
    description: /"http:\/\/localhost:4003\/mcp" is not a downstream API/,
  },
  {
    id: 'OBO-16',
    attack: 'the Tasks API with a trailing slash (exact match only)',
    options: { params: { audience: `${TASKS_API}/` } },
    error: 'invalid_target',
    description: /is not a downstream API/,
  },
  {
    id: 'OBO-05',
    attack: 'audience and resource naming different APIs',
    options: { params: { resource: CALENDAR_API } },
    error: 'invalid_target',
    description:
      /name more than one downstream API \(http:\/\/localhost:4004, http:\/\/localhost:4005\); one exchange issues a token for one API/,
  },
  {
    id: 'OBO-05',
    attack: 'audience repeated with two APIs',
    options: { extra: [['audience', CALENDAR_API]] },
    error: 'invalid_target',
    description: /more than one downstream API/,
  },
  {
    id: 'OBO-05',
    attack: 'a resource with a fragment (RFC 8707 §2)',
    options: { params: { audience: undefined, resource: `${TASKS_API}#frag` } },
    error: 'invalid_target',
    description: /is not an absolute URI without a fragment \(RFC 8707 §2\)/,
  },
  {
    id: 'OBO-05',
    attack: 'a relative resource',
    options: { params: { audience: undefined, resource: '/tasks' } },
    error: 'invalid_target',
    description: /is not an absolute URI/,
  },
  {
    id: 'OBO-10 OBO-16',
    attack: 'a client without a client grant at the API',
    options: as_(NO_GRANT_CLIENT),
    error: 'invalid_target',
    description:
      /client tasks-mcp-server-no-grant may not obtain tokens for http:\/\/localhost:4004: it has no client grant for that API/,
  },
])

// ---------------------------------------------------------------------------------------------
// Scope: the user never gains rights (OBO-06, OBO-10: invalid_scope)

table('scope escalation (OBO-06, OBO-10)', [
  {
    id: 'OBO-06',
    attack: 'tasks.write when the subject token carries only tasks.read',
    subjectToken: () => subject({ claims: { scope: 'tasks.read' } }),
    options: { params: { scope: 'tasks.write' } },
    error: 'invalid_scope',
    description:
      /the subject_token does not allow tasks\.write \(its scopes: "tasks\.read"\); an exchange never grants the user more than the subject token carries/,
  },
  {
    id: 'OBO-06',
    attack: 'tasks.read tasks.write when the subject token carries only tasks.read',
    subjectToken: () => subject({ claims: { scope: 'tasks.read' } }),
    options: { params: { scope: 'tasks.read tasks.write' } },
    error: 'invalid_scope',
    description: /does not allow tasks\.write/,
  },
  {
    id: 'OBO-06',
    attack: 'a scope the API does not define',
    options: { params: { scope: 'tasks.admin' } },
    error: 'invalid_scope',
    description: /^http:\/\/localhost:4004 does not define the scopes: tasks\.admin$/,
  },
  {
    id: 'OBO-06',
    attack: "another API's scope",
    options: { params: { scope: 'calendar.read' } },
    error: 'invalid_scope',
    description: /does not define the scopes: calendar\.read/,
  },
  {
    id: 'OBO-10',
    attack: "a scope beyond the client's grant at the API",
    options: { ...as_(READ_ONLY_CLIENT), params: { scope: 'tasks.write' } },
    error: 'invalid_scope',
    description: /this client may not obtain tasks\.write at http:\/\/localhost:4004/,
  },
  {
    id: 'OBO-06',
    attack: 'no scope asked, and the subject token carries none',
    subjectToken: () => subject({ claims: { scope: undefined } }),
    error: 'invalid_scope',
    description: /no scope of http:\/\/localhost:4004 can be granted/,
  },
  {
    id: 'OBO-10',
    attack: 'a scope the mapping does not give (tasks.write does not map to calendar.write)',
    subjectToken: () => subject({ claims: { scope: 'tasks.write' } }),
    options: { params: { audience: CALENDAR_API } },
    error: 'invalid_scope',
    description: /no scope of http:\/\/localhost:4005 can be granted/,
  },
  {
    id: 'OBO-10',
    attack: 'calendar.write asked for when only calendar.read is mapped',
    options: { params: { audience: CALENDAR_API, scope: 'calendar.write' } },
    error: 'invalid_scope',
    description: /the subject_token does not allow calendar\.write/,
  },
])

test('OBO-09 a refused exchange logs the refusal, never the subject token', async () => {
  const token = await subject({ signWith: attackerKey })
  const before = as.logs.length
  await assertRefused(await exchange(as, token), 400, 'invalid_request', /signature/)
  const logged = as.logs.slice(before).join('\n')
  assert.match(logged, /invalid_request/)
  assert.equal(logged.includes(token), false, 'the subject token must never be logged')
  assert.equal(logged.includes(token.split('.')[2] ?? '-'), false)
})

test('OBO-10 OBO-12 GRANT_TYPE constant is the RFC 8693 URN', () => {
  assert.equal(GRANT_TYPE.TOKEN_EXCHANGE, 'urn:ietf:params:oauth:grant-type:token-exchange')
})
