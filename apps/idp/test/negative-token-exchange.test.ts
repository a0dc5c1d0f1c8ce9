/**
 * Negative integration suite for the IdP's token endpoint (RFC 8693 token exchange, ID token → ID-JAG).
 *
 * Table-driven and over real HTTP: every row is one `test(...)` whose title names the requirement and
 * the attack, and every row asserts the HTTP status, the `error` code and that no token was issued
 * (no `access_token` in the body). The token exchange's clock is frozen at `T` so that the skew edges
 * are exact. Rows already in token-exchange.test.ts are not repeated. docs/security.md maps the rows.
 */
import assert from 'node:assert/strict'
import { createPublicKey, type JsonWebKey } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { generateSigningKey, GRANT_TYPE, JWT_TYP, signAccessToken, signClientAssertion, signIdJag, TOKEN_TYPE, type SigningKey } from '@ema/tokens'
import { SignJWT } from 'jose'
import { ACME_AGENT, AS_ISSUER, RS_RESOURCE, exchange, signIn, startIdp, type ExchangeParams, type TestIdp } from './helpers.ts'

/** The frozen "now" of the token exchange, in seconds. */
const T = Math.floor(Date.now() / 1000)
const SKEW = 30 // IdP clockSkewSeconds default
const MAX_LIFETIME = 3600 // ID_TOKEN_LIFETIME_SECONDS
const CLIENT = ACME_AGENT.clientId

let idp: TestIdp
let aliceIdToken: string
let bobIdToken: string
let attackerKey: SigningKey

before(async () => {
  idp = await startIdp({ now: () => new Date(T * 1000) })
  attackerKey = await generateSigningKey('ES256')
  aliceIdToken = await signIn(idp, { client: ACME_AGENT, username: 'alice', password: 'alice-password' })
  bobIdToken = await signIn(idp, { client: ACME_AGENT, username: 'bob', password: 'bob-password' })
})
after(() => idp.close())

// ---------------------------------------------------------------------------------------------
// Crafting subject tokens

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')
const json = (value: unknown) => b64(JSON.stringify(value))

/** Alice's ID token claims as this IdP would issue them to acme-agent, at `T`. */
function idTokenClaims(): Record<string, unknown> {
  return { iss: idp.config.issuer, sub: 'u-1001', aud: CLIENT, iat: T, exp: T + 600, auth_time: T, amr: ['pwd'] }
}

interface Craft {
  claims?: Record<string, unknown>
  header?: Record<string, unknown>
  signWith?: SigningKey
}

/** An ID token signed with the IdP's own key (or `signWith`), with overrides; `undefined` removes a member. */
function subjectToken(craft: Craft = {}): Promise<string> {
  const claims = { ...idTokenClaims(), ...craft.claims }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
  const header: Record<string, unknown> = { alg: 'ES256', kid: idp.signingKey.kid, ...craft.header }
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name]
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign((craft.signWith ?? idp.signingKey).privateKey)
}

/** Signs raw header and payload JSON text (duplicate members survive) with an ES256 key. */
async function signRaw(headerText: string, payloadText: string, key: SigningKey = idp.signingKey): Promise<string> {
  const input = `${b64(headerText)}.${b64(payloadText)}`
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, new TextEncoder().encode(input))
  return `${input}.${b64(new Uint8Array(signature))}`
}

const idpHeader = (extra: Record<string, unknown> = {}) => JSON.stringify({ alg: 'ES256', kid: idp.signingKey.kid, ...extra })

function hmacSigned(alg: 'HS256' | 'HS384' | 'HS512', secret: string): Promise<string> {
  return new SignJWT(idTokenClaims()).setProtectedHeader({ alg, kid: idp.signingKey.kid }).sign(new TextEncoder().encode(secret))
}
const idpPublicPem = () => createPublicKey({ key: idp.signingKey.publicJwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()

// ---------------------------------------------------------------------------------------------
// Asserting

function assertRefused(res: { status: number; headers: Headers; body: Record<string, unknown> }, status: number, error: string): void {
  assert.equal(res.body.access_token, undefined, 'a refusal must never carry an ID-JAG')
  assert.equal(res.body.issued_token_type, undefined)
  assert.equal(res.status, status, JSON.stringify(res.body))
  assert.equal(res.body.error, error, JSON.stringify(res.body))
  assert.equal(typeof res.body.error_description, 'string')
  assert.equal(res.headers.get('cache-control'), 'no-store') // IDP-51
}

interface Row {
  id: string
  attack: string
  /** The subject token; default alice's real ID token. */
  subject?: () => Promise<string> | string
  /** Further parameters; `undefined` removes a default one. A function is called when the row runs. */
  params?: ExchangeParams | (() => ExchangeParams)
  status?: number
  error: string
}

function table(name: string, rows: Row[]): void {
  describe(name, () => {
    for (const row of rows) {
      test(`${row.id} refuses ${row.attack}`, async () => {
        const subject = row.subject === undefined ? aliceIdToken : await row.subject()
        const params = typeof row.params === 'function' ? row.params() : row.params
        assertRefused(await exchange(idp, { subject_token: subject, ...params }), row.status ?? 400, row.error)
      })
    }
  })
}

const subjectRow = (id: string, attack: string, subject: () => Promise<string> | string): Row => ({ id, attack, subject, error: 'invalid_grant' })

// ---------------------------------------------------------------------------------------------
// The subject token (IDP-05, IDP-06, IDP-52): RFC 8725 and JWT-library CVE attacks

table('subject token: alg none and HMAC key confusion (IDP-05, RFC 8725 §3.1, §2.1)', [
  ...['none', 'None', 'NONE', 'nOnE'].map((alg) => subjectRow('IDP-05', `a subject token with alg "${alg}" and no signature`, () => `${json({ alg, kid: idp.signingKey.kid })}.${json(idTokenClaims())}.`)),
  subjectRow('IDP-05', 'alg "none" keeping the real signature of alice\'s ID token', () => {
    const [, payload, signature] = aliceIdToken.split('.')
    return `${json({ alg: 'none' })}.${payload}.${signature}`
  }),
  ...(['HS256', 'HS384', 'HS512'] as const).map((alg) => subjectRow('IDP-05', `${alg} signed with the IdP public key (PEM) as the secret`, () => hmacSigned(alg, idpPublicPem()))),
  subjectRow('IDP-05', 'HS256 signed with the IdP public JWK (JSON) as the secret', () => hmacSigned('HS256', JSON.stringify(idp.signingKey.publicJwk))),
  subjectRow('IDP-05', 'alice\'s ID token relabelled ES512', () => {
    const [, payload, signature] = aliceIdToken.split('.')
    return `${json({ alg: 'ES512', kid: idp.signingKey.kid })}.${payload}.${signature}`
  }),
])

table('subject token: kid and self-declared keys (IDP-05, RFC 8725 §3.10)', [
  subjectRow('IDP-05', 'an unknown kid', () => subjectToken({ header: { kid: 'no-such-key' } })),
  subjectRow('IDP-05', 'a path-traversal kid', () => subjectToken({ header: { kid: '../../../../etc/passwd' } })),
  subjectRow('IDP-05', 'a SQL-looking kid', () => subjectToken({ header: { kid: "x' UNION SELECT 'secret" } })),
  subjectRow('IDP-05', 'the IdP kid on a token signed by an attacker key', () => subjectToken({ signWith: attackerKey })),
  subjectRow('IDP-05', 'a "jku" header', () => subjectToken({ signWith: attackerKey, header: { kid: attackerKey.kid, jku: 'https://attacker.example/jwks' } })),
  subjectRow('IDP-05', 'a "x5u" header', () => subjectToken({ signWith: attackerKey, header: { x5u: 'https://attacker.example/cert.pem' } })),
  subjectRow('IDP-05', 'an embedded "jwk" header with the attacker key', () => subjectToken({ signWith: attackerKey, header: { kid: attackerKey.kid, jwk: attackerKey.publicJwk } })),
  subjectRow('IDP-05', 'an "x5c" header', () => subjectToken({ signWith: attackerKey, header: { x5c: [b64('not-a-certificate')] } })),
  subjectRow('IDP-05', 'crit naming an unknown extension', () => signRaw(idpHeader({ crit: ['urn:attacker:ext'], 'urn:attacker:ext': 1 }), JSON.stringify(idTokenClaims()))),
])

table('subject token: malformed, nested, duplicated (IDP-05, AS-33 rules shared by every JWT)', [
  subjectRow('IDP-05', 'a 1-part subject token', () => aliceIdToken.split('.')[0] ?? ''),
  subjectRow('IDP-05', 'a 2-part subject token', () => aliceIdToken.split('.').slice(0, 2).join('.')),
  subjectRow('IDP-05', 'a 4-part subject token', () => `${aliceIdToken}.${b64('x')}`),
  subjectRow('IDP-05', 'a subject token of empty parts ("..")', () => '..'),
  subjectRow('IDP-05', 'a non-base64url header', () => `!!!.${aliceIdToken.split('.').slice(1).join('.')}`),
  subjectRow('IDP-05', 'a non-JSON payload signed by the IdP', () => signRaw(idpHeader(), 'sub=u-1001')),
  subjectRow('IDP-05', 'a JSON array payload signed by the IdP', () => signRaw(idpHeader(), JSON.stringify([idTokenClaims()]))),
  subjectRow('IDP-05', 'a 5-part JWE', () => `${json({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT' })}.${b64('k')}.${b64('iv')}.${b64('ct')}.${b64('tag')}`),
  subjectRow('IDP-05', 'a JWS declaring cty JWT', () => subjectToken({ header: { cty: 'JWT' } })),
  subjectRow('IDP-06', 'a duplicated "aud" (another client first, ours last)', () => signRaw(idpHeader(), `{"aud":"other-app",${JSON.stringify(idTokenClaims()).slice(1)}`)),
  subjectRow('IDP-05', 'a duplicated "sub" (bob first, alice last)', () => signRaw(idpHeader(), `{"sub":"u-1002",${JSON.stringify(idTokenClaims()).slice(1)}`)),
  subjectRow('IDP-05', 'a subject token over 8192 characters', () => subjectToken({ claims: { pad: 'x'.repeat(9000) } })),
])

table('subject token: wrong claim types and values (IDP-05, IDP-06)', [
  subjectRow('IDP-05', 'a string exp', () => subjectToken({ claims: { exp: String(T + 600) } })),
  subjectRow('IDP-05', 'a number sub', () => subjectToken({ claims: { sub: 1001 } })),
  subjectRow('IDP-05', 'an array iss', () => subjectToken({ claims: { iss: [idp.config.issuer] } })),
  subjectRow('IDP-05', 'no iss', () => subjectToken({ claims: { iss: undefined } })),
  subjectRow('IDP-05', 'another issuer', () => subjectToken({ claims: { iss: 'http://localhost:1/other-idp' } })),
  subjectRow('IDP-05', 'our issuer with a trailing slash', () => subjectToken({ claims: { iss: `${idp.config.issuer}/` } })),
  subjectRow('IDP-05', 'our issuer in upper case', () => subjectToken({ claims: { iss: idp.config.issuer.toUpperCase() } })),
  subjectRow('IDP-05', 'no sub', () => subjectToken({ claims: { sub: undefined } })),
  subjectRow('IDP-05', 'a sub this IdP does not know', () => subjectToken({ claims: { sub: 'u-9999' } })),
  subjectRow('IDP-06', 'no aud', () => subjectToken({ claims: { aud: undefined } })),
  subjectRow('IDP-06', 'an empty aud array', () => subjectToken({ claims: { aud: [] } })),
  subjectRow('IDP-06', 'an aud array naming the client and another', () => subjectToken({ claims: { aud: [CLIENT, 'other-app'] } })),
  subjectRow('IDP-06', 'an aud array naming the client twice', () => subjectToken({ claims: { aud: [CLIENT, CLIENT] } })),
  subjectRow('IDP-06', 'an object aud', () => subjectToken({ claims: { aud: { client_id: CLIENT } } })),
  subjectRow('IDP-06', 'the client id in upper case', () => subjectToken({ claims: { aud: CLIENT.toUpperCase() } })),
  subjectRow('IDP-06', 'the client id with a trailing space', () => subjectToken({ claims: { aud: `${CLIENT} ` } })),
  subjectRow('IDP-06', 'aud = the MCP authorization server', () => subjectToken({ claims: { aud: AS_ISSUER } })),
  subjectRow('IDP-06', 'aud = the client\'s id at the AS (acme-agent-tasks)', () => subjectToken({ claims: { aud: 'acme-agent-tasks' } })),
])

table('subject token: clock skew edges, refused side (IDP-05)', [
  subjectRow('IDP-05', `exp exactly ${SKEW} s in the past`, () => subjectToken({ claims: { iat: T - 600, exp: T - SKEW } })),
  subjectRow('IDP-05', `exp ${SKEW + 1} s in the past`, () => subjectToken({ claims: { iat: T - 600, exp: T - SKEW - 1 } })),
  subjectRow('IDP-05', `iat ${SKEW + 1} s in the future`, () => subjectToken({ claims: { iat: T + SKEW + 1, exp: T + 600 } })),
  subjectRow('IDP-05', `nbf ${SKEW + 1} s in the future`, () => subjectToken({ claims: { nbf: T + SKEW + 1 } })),
  subjectRow('IDP-05', `a lifetime of ${MAX_LIFETIME + 1} s`, () => subjectToken({ claims: { iat: T, exp: T + MAX_LIFETIME + 1 } })),
  subjectRow('IDP-05', 'exp before iat', () => subjectToken({ claims: { iat: T, exp: T - 1 } })),
])

describe('subject token: clock skew edges, accepted side (IDP-05): the boundaries above are exact', () => {
  const accepted: Array<[string, Record<string, unknown>]> = [
    [`IDP-05 accepts exp ${SKEW - 1} s in the past (the last second within skew)`, { iat: T - 600, exp: T - SKEW + 1 }],
    [`IDP-05 accepts iat exactly ${SKEW} s in the future`, { iat: T + SKEW, exp: T + 600 }],
    [`IDP-05 accepts nbf exactly ${SKEW} s in the future`, { nbf: T + SKEW }],
    [`IDP-05 accepts a lifetime of exactly ${MAX_LIFETIME} s`, { iat: T, exp: T + MAX_LIFETIME }],
  ]
  for (const [title, claims] of accepted) {
    test(title, async () => {
      const res = await exchange(idp, { subject_token: await subjectToken({ claims }) })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.equal(typeof res.body.access_token, 'string')
    })
  }
})

table('subject token: every wrong typ (IDP-05, RFC 8725 §3.11–§3.12)', [
  subjectRow('IDP-05', 'typ "at+jwt" (an access token signed with the IdP key)', () => subjectToken({ header: { typ: 'at+jwt' } })),
  subjectRow('IDP-05', 'typ "application/at+jwt"', () => subjectToken({ header: { typ: 'application/at+jwt' } })),
  subjectRow('IDP-05', 'typ "oauth-id-jag+jwt" with ID-token claims', () => subjectToken({ header: { typ: JWT_TYP.ID_JAG } })),
  subjectRow('IDP-05', 'typ "dpop+jwt"', () => subjectToken({ header: { typ: 'dpop+jwt' } })),
  subjectRow('IDP-05', 'typ "secevent+jwt"', () => subjectToken({ header: { typ: 'secevent+jwt' } })),
  subjectRow('IDP-05', 'typ "JWT " (trailing space)', () => subjectToken({ header: { typ: 'JWT ' } })),
  subjectRow('IDP-05', 'typ as an array', () => subjectToken({ header: { typ: ['JWT'] } })),
  subjectRow('IDP-26', 'an ID-JAG this IdP signed, aud = the client, presented as the subject', () => signIdJag({
    issuer: idp.config.issuer, audience: CLIENT, subject: 'u-1001', clientId: CLIENT, resource: RS_RESOURCE, now: new Date(T * 1000), key: idp.signingKey,
  })),
  subjectRow('IDP-05', 'an RFC 9068 access token signed with the IdP key, aud = the client', () => signAccessToken({
    issuer: idp.config.issuer, subject: 'u-1001', audience: CLIENT, clientId: CLIENT, scope: 'openid', expiresInSeconds: 600, now: new Date(T * 1000), key: idp.signingKey,
  })),
  subjectRow('IDP-05', 'the client\'s own private_key_jwt client assertion', () => signClientAssertion({ clientId: CLIENT, audience: idp.url, now: new Date(T * 1000), key: attackerKey })),
])

// ---------------------------------------------------------------------------------------------
// The request parameters (IDP-03, IDP-04, IDP-12, IDP-14 … IDP-16, RFC 8693 §2.1)

table('audience / resource pairing (IDP-03, IDP-14, IDP-54)', [
  { id: 'IDP-03', attack: 'an audience with a trailing slash', params: { audience: `${AS_ISSUER}/` }, error: 'invalid_target' },
  { id: 'IDP-03', attack: 'an audience in upper case', params: { audience: AS_ISSUER.toUpperCase() }, error: 'invalid_target' },
  { id: 'IDP-03', attack: 'an audience that extends the AS issuer (prefix match)', params: { audience: `${AS_ISSUER}0` }, error: 'invalid_target' },
  { id: 'IDP-03', attack: 'an audience that is a prefix of the AS issuer', params: { audience: AS_ISSUER.slice(0, -1) }, error: 'invalid_target' },
  { id: 'IDP-14', attack: 'audience = the MCP server (resource) instead of its AS', params: { audience: RS_RESOURCE }, error: 'invalid_target' },
  { id: 'IDP-26', attack: 'audience = this IdP itself', params: () => ({ audience: idp.url }), error: 'invalid_target' },
  { id: 'IDP-14', attack: 'resource = the AS issuer', params: { resource: AS_ISSUER }, error: 'invalid_target' },
  { id: 'IDP-14', attack: 'a resource with a trailing slash', params: { resource: `${RS_RESOURCE}/` }, error: 'invalid_target' },
  { id: 'IDP-14', attack: 'a resource in upper case', params: { resource: RS_RESOURCE.toUpperCase() }, error: 'invalid_target' },
  { id: 'IDP-14', attack: 'a resource that extends the MCP server (prefix match)', params: { resource: `${RS_RESOURCE}-admin` }, error: 'invalid_target' },
  { id: 'IDP-14', attack: 'a resource with a fragment', params: { resource: `${RS_RESOURCE}#x` }, error: 'invalid_target' },
  { id: 'IDP-14', attack: 'an unknown audience with the right resource', params: { audience: 'http://localhost:1/other-as' }, error: 'invalid_target' },
  { id: 'IDP-03', attack: 'an empty audience (treated as omitted, RFC 6749 §3.1)', params: { audience: '' }, error: 'invalid_request' },
])

table('missing and unsupported parameters (IDP-04, IDP-12, IDP-29, RFC 8693 §2.1)', [
  { id: 'IDP-29', attack: 'no requested_token_type', params: { requested_token_type: undefined }, error: 'invalid_request' },
  { id: 'IDP-29', attack: 'requested_token_type id_token', params: { requested_token_type: TOKEN_TYPE.ID_TOKEN }, error: 'invalid_request' },
  { id: 'IDP-29', attack: 'requested_token_type refresh_token', params: { requested_token_type: TOKEN_TYPE.REFRESH_TOKEN }, error: 'invalid_request' },
  { id: 'IDP-29', attack: 'requested_token_type jwt', params: { requested_token_type: 'urn:ietf:params:oauth:token-type:jwt' }, error: 'invalid_request' },
  { id: 'IDP-29', attack: 'requested_token_type id-jag in upper case', params: { requested_token_type: TOKEN_TYPE.ID_JAG.toUpperCase() }, error: 'invalid_request' },
  { id: 'IDP-04', attack: 'no subject_token_type', params: { subject_token_type: undefined }, error: 'invalid_request' },
  { id: 'IDP-04', attack: 'subject_token_type access_token', params: { subject_token_type: TOKEN_TYPE.ACCESS_TOKEN }, error: 'invalid_request' },
  { id: 'IDP-07', attack: 'an ID token presented as subject_token_type refresh_token', params: { subject_token_type: TOKEN_TYPE.REFRESH_TOKEN }, error: 'invalid_grant' },
  { id: 'IDP-04', attack: 'subject_token_type id-jag', params: { subject_token_type: TOKEN_TYPE.ID_JAG }, error: 'invalid_request' },
  { id: 'IDP-04', attack: 'subject_token_type jwt', params: { subject_token_type: 'urn:ietf:params:oauth:token-type:jwt' }, error: 'invalid_request' },
  { id: 'IDP-04', attack: 'subject_token_type "id_token" without the URN', params: { subject_token_type: 'id_token' }, error: 'invalid_request' },
  { id: 'IDP-05', attack: 'an empty subject_token', subject: () => '', error: 'invalid_request' },
  { id: 'IDP-12', attack: 'an actor_token without actor_token_type', params: { actor_token: 'x.y.z' }, error: 'invalid_request' },
  { id: 'IDP-12', attack: 'an actor_token_type without actor_token', params: { actor_token_type: TOKEN_TYPE.ID_TOKEN }, error: 'invalid_request' },
  { id: 'IDP-12', attack: 'bob\'s ID token as actor_token, with actor_token_type', params: () => ({ actor_token: bobIdToken, actor_token_type: TOKEN_TYPE.ID_TOKEN }), error: 'invalid_request' },
])

table('scope games (IDP-16, IDP-17, IDP-55)', [
  { id: 'IDP-16', attack: 'scope "openid" only', params: { scope: 'openid' }, error: 'invalid_scope' },
  { id: 'IDP-16', attack: 'scope in upper case', params: { scope: 'TASKS.READ' }, error: 'invalid_scope' },
  { id: 'IDP-16', attack: 'a wildcard scope', params: { scope: 'tasks.*' }, error: 'invalid_scope' },
  { id: 'IDP-16', attack: 'a prefix of a scope ("tasks")', params: { scope: 'tasks' }, error: 'invalid_scope' },
  { id: 'IDP-16', attack: 'scopes joined by a tab', params: { scope: 'tasks.read\ttasks.write' }, error: 'invalid_scope' },
  { id: 'IDP-16', attack: 'scope "offline_access"', params: { scope: 'offline_access' }, error: 'invalid_scope' },
  { id: 'IDP-17', attack: 'bob asking for tasks.write plus an undefined scope', subject: () => bobIdToken, params: { scope: 'tasks.write tasks.admin' }, error: 'access_denied' },
])

// ---------------------------------------------------------------------------------------------
// Request-level attacks

const basic = (id = CLIENT, secret = 'acme-agent-idp-secret') => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`
const FORM = 'application/x-www-form-urlencoded'

function exchangePairs(subject: string): Array<[string, string]> {
  return [
    ['grant_type', GRANT_TYPE.TOKEN_EXCHANGE], ['requested_token_type', TOKEN_TYPE.ID_JAG], ['subject_token_type', TOKEN_TYPE.ID_TOKEN],
    ['subject_token', subject], ['audience', AS_ISSUER], ['resource', RS_RESOURCE],
  ]
}

async function post(pairs: Array<[string, string]>, headers: Record<string, string> = { authorization: basic() }, contentType = FORM): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(`${idp.url}/token`, { method: 'POST', headers: { 'content-type': contentType, accept: 'application/json', ...headers }, body: new URLSearchParams(pairs).toString() })
  return read(res)
}

async function read(res: Response): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const text = await res.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    assert.fail(`expected a JSON error body, got ${res.status} ${res.headers.get('content-type')}: ${text.slice(0, 200)}`)
  }
  assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body))
  return { status: res.status, headers: res.headers, body: Object.fromEntries(Object.entries(body)) }
}

interface RequestRow {
  id: string
  attack: string
  send: () => Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>
  status: number
  error: string
}

const requestRows: RequestRow[] = [
  { id: 'IDP-09', attack: 'Basic and client_secret in the body at once (RFC 6749 §2.3)', status: 400, error: 'invalid_request',
    send: () => post([...exchangePairs(aliceIdToken), ['client_id', CLIENT], ['client_secret', 'acme-agent-idp-secret']]) },
  { id: 'IDP-09', attack: 'Basic and a client assertion at once', status: 400, error: 'invalid_request',
    send: async () => post([...exchangePairs(aliceIdToken), ['client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
      ['client_assertion', await signClientAssertion({ clientId: CLIENT, audience: idp.url, now: new Date(), key: attackerKey })]]) },
  { id: 'IDP-09', attack: 'a Basic header for acme-agent and client_id other-app in the body', status: 400, error: 'invalid_request',
    send: () => post([...exchangePairs(aliceIdToken), ['client_id', 'other-app']]) },
  { id: 'IDP-09', attack: 'a private_key_jwt assertion signed with a key the client never registered', status: 401, error: 'invalid_client',
    send: async () => post([...exchangePairs(aliceIdToken), ['client_id', 'jwt-client'], ['client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
      ['client_assertion', await signClientAssertion({ clientId: 'jwt-client', audience: idp.url, now: new Date(), key: attackerKey })]], {}) },
  { id: 'IDP-51', attack: 'a JSON body where a form is required', status: 400, error: 'invalid_request',
    send: async () => read(await fetch(`${idp.url}/token`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic() }, body: JSON.stringify(Object.fromEntries(exchangePairs(aliceIdToken))) })) },
  { id: 'IDP-51', attack: 'a form body labelled text/plain', status: 400, error: 'invalid_request',
    send: () => post(exchangePairs(aliceIdToken), { authorization: basic() }, 'text/plain') },
  { id: 'IDP-51', attack: 'a POST with no body', status: 400, error: 'invalid_request',
    send: async () => read(await fetch(`${idp.url}/token`, { method: 'POST', headers: { authorization: basic() } })) },
  { id: 'SEC-02', attack: 'the parameters (and the ID token) in the query string of an empty POST', status: 400, error: 'invalid_request',
    send: async () => read(await fetch(`${idp.url}/token?${new URLSearchParams(exchangePairs(aliceIdToken)).toString()}`, { method: 'POST', headers: { 'content-type': FORM, authorization: basic() }, body: '' })) },
  { id: 'IDP-51', attack: 'a missing grant_type', status: 400, error: 'invalid_request',
    send: () => post(exchangePairs(aliceIdToken).filter(([name]) => name !== 'grant_type')) },
  { id: 'IDP-51', attack: 'grant_type twice', status: 400, error: 'invalid_request',
    send: () => post([...exchangePairs(aliceIdToken), ['grant_type', GRANT_TYPE.TOKEN_EXCHANGE]]) },
  { id: 'IDP-51', attack: 'subject_token twice (alice and bob)', status: 400, error: 'invalid_request',
    send: () => post([...exchangePairs(aliceIdToken), ['subject_token', bobIdToken]]) },
  { id: 'IDP-51', attack: 'audience twice', status: 400, error: 'invalid_request',
    send: () => post([...exchangePairs(aliceIdToken), ['audience', 'http://localhost:1/other-as']]) },
  { id: 'IDP-15', attack: 'resource twice', status: 400, error: 'invalid_request',
    send: () => post([...exchangePairs(aliceIdToken), ['resource', 'http://localhost:1/other-mcp']]) },
  { id: 'IDP-16', attack: 'scope twice', status: 400, error: 'invalid_request',
    send: () => post([...exchangePairs(aliceIdToken), ['scope', 'tasks.read'], ['scope', 'tasks.write']]) },
  { id: 'IDP-29', attack: 'requested_token_type twice', status: 400, error: 'invalid_request',
    send: () => post([...exchangePairs(aliceIdToken), ['requested_token_type', TOKEN_TYPE.ACCESS_TOKEN]]) },
  { id: 'IDP-51', attack: 'an unknown grant_type ("password")', status: 400, error: 'unsupported_grant_type',
    send: () => post([['grant_type', 'password'], ['username', 'alice'], ['password', 'alice-password']]) },
  { id: 'IDP-26', attack: 'the jwt-bearer grant with an ID-JAG at the IdP', status: 400, error: 'unsupported_grant_type',
    send: () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['assertion', aliceIdToken]]) },
  { id: 'IDP-51', attack: 'the token-exchange URN in upper case', status: 400, error: 'unsupported_grant_type',
    send: () => post([['grant_type', GRANT_TYPE.TOKEN_EXCHANGE.toUpperCase()], ...exchangePairs(aliceIdToken).slice(1)]) },
]

describe('request-level attacks (IDP-09, IDP-51, RFC 6749 §2.3, §3.2, §5.2)', () => {
  for (const row of requestRows) {
    test(`${row.id} refuses ${row.attack}`, async () => {
      assertRefused(await row.send(), row.status, row.error)
    })
  }
})
