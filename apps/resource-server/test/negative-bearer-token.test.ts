/**
 * Negative integration suite for the MCP server's bearer-token check (RS-05 … RS-12).
 *
 * Table-driven and over real HTTP: every row is one `test(...)` whose title names the requirement and
 * the attack, and every row asserts the HTTP status, the `error` code and that nothing was served (no
 * MCP result, no `access_token` in the body). The MCP server's clock is frozen at `T` so that the skew
 * edges are exact. Rows already in bearer-token.test.ts are not repeated. docs/security.md maps them.
 */
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { createPublicKey, type JsonWebKey } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { generateSigningKey, JWT_TYP, signIdJag, type SigningKey } from '@ema/tokens'
import { SignJWT } from 'jose'
import { ALICE, CLIENT_ID, INITIALIZE, postMcp, startAuthorizationServer, startResourceServer, type FakeAuthorizationServer, type RunningResourceServer } from './support.ts'

/** The frozen "now" of the MCP server, in seconds. */
const T = Math.floor(Date.now() / 1000)
const SKEW = 30 // verifyAccessToken default clockSkewSeconds
const MAX_LIFETIME = 86_400 // verifyAccessToken default maxLifetimeSeconds
const IDP_ISSUER = 'http://localhost:4001'

let as: FakeAuthorizationServer
let rs: RunningResourceServer
let attackerKey: SigningKey
let idpKey: SigningKey

before(async () => {
  as = await startAuthorizationServer()
  rs = await startResourceServer(as, {}, { now: () => new Date(T * 1000) })
  attackerKey = await generateSigningKey('ES256')
  idpKey = await generateSigningKey('ES256')
})
after(async () => {
  await rs.close()
  await as.close()
})

// ---------------------------------------------------------------------------------------------
// Crafting access tokens

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')
const json = (value: unknown) => b64(JSON.stringify(value))

/** The claims our authorization server puts in an RFC 9068 access token for alice, at `T`. */
function tokenClaims(): Record<string, unknown> {
  return { iss: as.issuer, sub: ALICE, aud: rs.resource, client_id: CLIENT_ID, scope: 'tasks.read tasks.write', jti: crypto.randomUUID(), iat: T, exp: T + 600 }
}

interface Craft {
  claims?: Record<string, unknown>
  header?: Record<string, unknown>
  signWith?: SigningKey
}

/** An access token signed with the AS key (or `signWith`), with overrides; `undefined` removes a member. */
function token(craft: Craft = {}): Promise<string> {
  const claims = { ...tokenClaims(), ...craft.claims }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
  const header: Record<string, unknown> = { alg: 'ES256', kid: as.key.kid, typ: JWT_TYP.ACCESS_TOKEN, ...craft.header }
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name]
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign((craft.signWith ?? as.key).privateKey)
}

/** Signs raw header and payload JSON text (duplicate members survive) with an ES256 key. */
async function signRaw(headerText: string, payloadText: string, key: SigningKey = as.key): Promise<string> {
  const input = `${b64(headerText)}.${b64(payloadText)}`
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, new TextEncoder().encode(input))
  return `${input}.${b64(new Uint8Array(signature))}`
}
const asHeader = (extra: Record<string, unknown> = {}) => JSON.stringify({ alg: 'ES256', kid: as.key.kid, typ: JWT_TYP.ACCESS_TOKEN, ...extra })

function hmacSigned(alg: 'HS256' | 'HS384' | 'HS512', secret: string): Promise<string> {
  return new SignJWT(tokenClaims()).setProtectedHeader({ alg, kid: as.key.kid, typ: JWT_TYP.ACCESS_TOKEN }).sign(new TextEncoder().encode(secret))
}
const asPublicPem = () => createPublicKey({ key: as.key.publicJwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()

async function withPart(index: 0 | 1 | 2, part: string): Promise<string> {
  const parts = (await token()).split('.')
  parts[index] = part
  return parts.join('.')
}

// ---------------------------------------------------------------------------------------------
// Asserting

/** Every refusal: status, `error`, a description, no MCP result and no token in the body. */
async function assertRefused(res: { status: number; text: string }, status: number, error: string): Promise<void> {
  let body: Record<string, unknown>
  try {
    body = JSON.parse(res.text) as Record<string, unknown>
  } catch {
    assert.fail(`expected a JSON error body, got ${res.status}: ${res.text.slice(0, 200)}`)
  }
  assert.equal(body.access_token, undefined)
  assert.equal(body.result, undefined, 'the MCP request must not have been served')
  assert.equal(res.status, status, res.text)
  assert.equal(body.error, error, res.text)
  assert.equal(typeof body.error_description, 'string')
}

async function presented(bearer: string): Promise<{ status: number; text: string }> {
  const res = await postMcp(rs.resource, INITIALIZE, { authorization: `Bearer ${bearer}` })
  return { status: res.status, text: await res.text() }
}

interface TokenRow {
  id: string
  attack: string
  token: () => Promise<string> | string
  status?: number
  error?: string
}

function table(name: string, rows: TokenRow[]): void {
  describe(name, () => {
    for (const row of rows) {
      test(`${row.id} refuses ${row.attack}`, async () => {
        await assertRefused(await presented(await row.token()), row.status ?? 401, row.error ?? 'invalid_token')
      })
    }
  })
}

// ---------------------------------------------------------------------------------------------
// RFC 8725 and JWT-library CVE attacks on the bearer token

table('alg none and HMAC key confusion (RS-10, RFC 8725 §3.1, §2.1)', [
  ...['none', 'None', 'NONE', 'nOnE'].map((alg): TokenRow => ({ id: 'RS-10', attack: `alg "${alg}" with no signature`, token: () => `${json({ alg, typ: JWT_TYP.ACCESS_TOKEN })}.${json(tokenClaims())}.` })),
  { id: 'RS-10', attack: 'alg "none" keeping the AS signature', token: async () => {
    const [, payload, signature] = (await token()).split('.')
    return `${json({ alg: 'none', typ: JWT_TYP.ACCESS_TOKEN })}.${payload}.${signature}`
  } },
  { id: 'RS-10', attack: 'a header without alg', token: () => signRaw(JSON.stringify({ kid: as.key.kid, typ: JWT_TYP.ACCESS_TOKEN }), JSON.stringify(tokenClaims())) },
  ...(['HS256', 'HS384', 'HS512'] as const).map((alg): TokenRow => ({ id: 'RS-10', attack: `${alg} signed with the AS public key (PEM)`, token: () => hmacSigned(alg, asPublicPem()) })),
  { id: 'RS-10', attack: 'HS256 signed with the AS public JWK (JSON)', token: () => hmacSigned('HS256', JSON.stringify(as.key.publicJwk)) },
  { id: 'RS-10', attack: 'an ES256 token relabelled ES384', token: async () => {
    const [, payload, signature] = (await token()).split('.')
    return `${json({ alg: 'ES384', kid: as.key.kid, typ: JWT_TYP.ACCESS_TOKEN })}.${payload}.${signature}`
  } },
])

table('kid and self-declared keys (RS-10, RFC 8725 §3.10)', [
  { id: 'RS-10', attack: 'an unknown kid', token: () => token({ header: { kid: 'no-such-key' } }) },
  { id: 'RS-10', attack: 'a path-traversal kid', token: () => token({ header: { kid: '../../../../dev/null' } }) },
  { id: 'RS-10', attack: 'a SQL-looking kid', token: () => token({ header: { kid: "1' OR '1'='1" } }) },
  { id: 'RS-10', attack: 'a kid that is a URL', token: () => token({ header: { kid: 'https://attacker.example/jwks' } }) },
  { id: 'RS-10', attack: 'the AS kid on a token signed by an attacker key', token: () => token({ signWith: attackerKey }) },
  { id: 'RS-10', attack: 'a "jku" header', token: () => token({ signWith: attackerKey, header: { kid: attackerKey.kid, jku: 'https://attacker.example/jwks' } }) },
  { id: 'RS-10', attack: 'a "x5u" header', token: () => token({ signWith: attackerKey, header: { x5u: 'https://attacker.example/cert.pem' } }) },
  { id: 'RS-10', attack: 'an embedded "jwk" header with the attacker key', token: () => token({ signWith: attackerKey, header: { kid: attackerKey.kid, jwk: attackerKey.publicJwk } }) },
  { id: 'RS-10', attack: 'an embedded "jwk" header with the genuine AS key', token: () => token({ header: { jwk: as.key.publicJwk } }) },
  { id: 'RS-10', attack: 'an "x5c" header', token: () => token({ signWith: attackerKey, header: { x5c: [b64('not-a-certificate')] } }) },
  { id: 'RS-10', attack: 'crit naming an unknown extension', token: () => signRaw(asHeader({ crit: ['urn:attacker:ext'], 'urn:attacker:ext': 1 }), JSON.stringify(tokenClaims())) },
  { id: 'RS-10', attack: 'an empty crit array', token: () => signRaw(asHeader({ crit: [] }), JSON.stringify(tokenClaims())) },
])

table('malformed, nested and duplicated (RS-08, RS-10, AS-33 rules shared by every JWT)', [
  { id: 'RS-08', attack: 'a 1-part token', token: async () => (await token()).split('.')[0] ?? '' },
  { id: 'RS-08', attack: 'a 2-part token', token: async () => (await token()).split('.').slice(0, 2).join('.') },
  { id: 'RS-08', attack: 'a 4-part token', token: async () => `${await token()}.${b64('x')}` },
  { id: 'RS-08', attack: 'a token of empty parts ("..")', token: () => '..' },
  { id: 'RS-08', attack: 'an empty payload part', token: () => withPart(1, '') },
  { id: 'RS-08', attack: 'a header in standard base64 ("+" and "/")', token: () => withPart(0, '++//++//') },
  { id: 'RS-08', attack: 'a payload that is not JSON, signed by the AS', token: () => signRaw(asHeader(), 'sub=u-1001') },
  { id: 'RS-08', attack: 'a payload that is a JSON array, signed by the AS', token: () => signRaw(asHeader(), JSON.stringify([tokenClaims()])) },
  { id: 'RS-08', attack: 'a payload that is a JSON string, signed by the AS', token: () => signRaw(asHeader(), '"u-1001"') },
  { id: 'RS-10', attack: 'a 5-part JWE', token: () => `${json({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', typ: JWT_TYP.ACCESS_TOKEN })}.${b64('k')}.${b64('iv')}.${b64('ct')}.${b64('tag')}` },
  { id: 'RS-10', attack: 'a JWS declaring cty JWT', token: () => token({ header: { cty: 'JWT' } }) },
  { id: 'RS-10', attack: 'a nested JWS whose payload is a signed access token', token: async () => signRaw(asHeader({ cty: 'JWT' }), await token()) },
  { id: 'RS-09', attack: 'a duplicated "aud" (another resource first, ours last)', token: () => signRaw(asHeader(), `{"aud":"http://localhost:1/other-mcp",${JSON.stringify(tokenClaims()).slice(1)}`) },
  { id: 'RS-10', attack: 'a duplicated "sub" (bob first, alice last)', token: () => signRaw(asHeader(), `{"sub":"u-1002",${JSON.stringify(tokenClaims()).slice(1)}`) },
  { id: 'RS-10', attack: 'a duplicated "scope" (narrow first, wide last)', token: () => {
    const { scope, ...rest } = tokenClaims()
    return signRaw(asHeader(), `{"scope":"tasks.read",${JSON.stringify(rest).slice(1, -1)},"scope":${JSON.stringify(scope)}}`)
  } },
  { id: 'RS-10', attack: 'a duplicated "typ" header parameter', token: () => signRaw(`{"typ":"JWT",${asHeader().slice(1)}`, JSON.stringify(tokenClaims())) },
  { id: 'RS-10', attack: 'a token over 8192 characters', token: () => token({ claims: { pad: 'x'.repeat(9000) } }) },
])

table('wrong claim types (RS-10, RFC 7519 §4.1, RFC 9068 §2.2)', [
  { id: 'RS-10', attack: 'a string exp', token: () => token({ claims: { exp: String(T + 600) } }) },
  { id: 'RS-10', attack: 'a string iat', token: () => token({ claims: { iat: String(T) } }) },
  { id: 'RS-10', attack: 'a number sub', token: () => token({ claims: { sub: 1001 } }) },
  { id: 'RS-10', attack: 'an array iss', token: () => token({ claims: { iss: [as.issuer] } }) },
  { id: 'RS-10', attack: 'an object scope', token: () => token({ claims: { scope: { 'tasks.read': true } } }) },
  { id: 'RS-10', attack: 'an array scope', token: () => token({ claims: { scope: ['tasks.read', 'tasks.write'] } }) },
  { id: 'RS-10', attack: 'a number client_id', token: () => token({ claims: { client_id: 42 } }) },
  { id: 'RS-10', attack: 'no jti', token: () => token({ claims: { jti: undefined } }) },
  { id: 'RS-10', attack: 'no sub', token: () => token({ claims: { sub: undefined } }) },
  { id: 'RS-10', attack: 'no client_id', token: () => token({ claims: { client_id: undefined } }) },
])

table('clock skew edges, refused side (RS-10)', [
  { id: 'RS-10', attack: `exp exactly ${SKEW} s in the past`, token: () => token({ claims: { iat: T - 600, exp: T - SKEW } }) },
  { id: 'RS-10', attack: `exp ${SKEW + 1} s in the past`, token: () => token({ claims: { iat: T - 600, exp: T - SKEW - 1 } }) },
  { id: 'RS-10', attack: `iat ${SKEW + 1} s in the future`, token: () => token({ claims: { iat: T + SKEW + 1, exp: T + 600 } }) },
  { id: 'RS-10', attack: `nbf ${SKEW + 1} s in the future`, token: () => token({ claims: { nbf: T + SKEW + 1 } }) },
  { id: 'RS-10', attack: `a lifetime of ${MAX_LIFETIME + 1} s`, token: () => token({ claims: { iat: T, exp: T + MAX_LIFETIME + 1 } }) },
  { id: 'RS-10', attack: 'exp before iat', token: () => token({ claims: { iat: T, exp: T - 1 } }) },
  { id: 'RS-10', attack: 'no exp', token: () => token({ claims: { exp: undefined } }) },
])

describe('clock skew edges, accepted side (RS-10): the boundaries above are exact', () => {
  const accepted: Array<[string, () => Record<string, unknown>]> = [
    [`RS-10 accepts exp ${SKEW - 1} s in the past (the last second within skew)`, () => ({ iat: T - 600, exp: T - SKEW + 1 })],
    [`RS-10 accepts iat exactly ${SKEW} s in the future`, () => ({ iat: T + SKEW, exp: T + 600 })],
    [`RS-10 accepts nbf exactly ${SKEW} s in the future`, () => ({ nbf: T + SKEW })],
    [`RS-10 accepts a lifetime of exactly ${MAX_LIFETIME} s`, () => ({ iat: T, exp: T + MAX_LIFETIME })],
    ['RS-09 accepts an aud array that includes this resource (RFC 9068 §4)', () => ({ aud: ['http://localhost:1/other-mcp', rs.resource] })],
  ]
  for (const [title, claims] of accepted) {
    test(title, async () => {
      const res = await presented(await token({ claims: claims() }))
      assert.equal(res.status, 200, res.text)
    })
  }
})

table('every wrong typ, and token passthrough (RS-11, RFC 8725 §3.11–§3.12)', [
  { id: 'RS-11', attack: 'a token with no typ (ID-token shaped), signed by the AS', token: () => token({ header: { typ: undefined } }) },
  { id: 'RS-11', attack: 'typ "JWT", signed by the AS', token: () => token({ header: { typ: 'JWT' } }) },
  { id: 'RS-11', attack: 'typ "dpop+jwt"', token: () => token({ header: { typ: 'dpop+jwt' } }) },
  { id: 'RS-11', attack: 'typ "logout+jwt"', token: () => token({ header: { typ: 'logout+jwt' } }) },
  { id: 'RS-11', attack: 'typ "at+jwt " (trailing space)', token: () => token({ header: { typ: 'at+jwt ' } }) },
  { id: 'RS-11', attack: 'typ "at+jwt; charset=utf-8"', token: () => token({ header: { typ: 'at+jwt; charset=utf-8' } }) },
  { id: 'RS-11', attack: 'typ "at+jwt+jwt"', token: () => token({ header: { typ: 'at+jwt+jwt' } }) },
  { id: 'RS-11', attack: 'an IdP ID token (iss = IdP, aud = the client, no typ)', token: () => new SignJWT({ sub: 'u-1001', nonce: 'n', auth_time: T })
    .setProtectedHeader({ alg: 'ES256', kid: idpKey.kid }).setIssuer(IDP_ISSUER).setAudience('acme-agent').setIssuedAt(T).setExpirationTime(T + 600).sign(idpKey.privateKey) },
  { id: 'RS-11', attack: 'an IdP ID token whose aud is this MCP server', token: () => new SignJWT({ sub: 'u-1001', client_id: CLIENT_ID, jti: 'j', scope: 'tasks.read' })
    .setProtectedHeader({ alg: 'ES256', kid: idpKey.kid }).setIssuer(IDP_ISSUER).setAudience(rs.resource).setIssuedAt(T).setExpirationTime(T + 600).sign(idpKey.privateKey) },
  { id: 'RS-11', attack: 'an ID-JAG from the IdP (aud = the AS)', token: () => signIdJag({
    issuer: IDP_ISSUER, audience: as.issuer, subject: 'u-1001', clientId: CLIENT_ID, resource: rs.resource, scope: 'tasks.read', now: new Date(T * 1000), key: idpKey,
  }) },
  { id: 'RS-11', attack: 'an ID-JAG from the IdP whose aud is this MCP server', token: () => signIdJag({
    issuer: IDP_ISSUER, audience: rs.resource, subject: 'u-1001', clientId: CLIENT_ID, resource: rs.resource, scope: 'tasks.read', now: new Date(T * 1000), key: idpKey,
  }) },
  { id: 'RS-11', attack: 'an at+jwt from the IdP (another issuer) for this MCP server', token: () => token({ claims: { iss: IDP_ISSUER }, signWith: idpKey, header: { kid: idpKey.kid } }) },
  { id: 'RS-11', attack: 'an at+jwt naming another issuer but signed with the AS key', token: () => token({ claims: { iss: 'http://localhost:1/other-as' } }) },
  { id: 'RS-11', attack: 'an at+jwt whose iss is our AS with a trailing slash', token: () => token({ claims: { iss: `${as.issuer}/` } }) },
])

table('aud shapes (RS-09, AS-37)', [
  { id: 'RS-09', attack: 'an empty aud array', token: () => token({ claims: { aud: [] } }) },
  { id: 'RS-09', attack: 'no aud', token: () => token({ claims: { aud: undefined } }) },
  { id: 'RS-09', attack: 'aud with a trailing slash', token: () => token({ claims: { aud: `${rs.resource}/` } }) },
  { id: 'RS-09', attack: 'aud that is a prefix of this resource', token: () => token({ claims: { aud: rs.resource.slice(0, -1) } }) },
  { id: 'RS-09', attack: 'aud that extends this resource (prefix match)', token: () => token({ claims: { aud: `${rs.resource}-admin` } }) },
  { id: 'RS-09', attack: 'aud = the server origin without the /mcp path', token: () => token({ claims: { aud: rs.url } }) },
  { id: 'RS-09', attack: 'aud in upper case', token: () => token({ claims: { aud: rs.resource.toUpperCase() } }) },
  { id: 'RS-09', attack: 'aud = the authorization server', token: () => token({ claims: { aud: as.issuer } }) },
  { id: 'RS-09', attack: 'an aud array of two other resources', token: () => token({ claims: { aud: ['http://localhost:1/a', 'http://localhost:1/b'] } }) },
  { id: 'RS-09', attack: 'an object aud', token: () => token({ claims: { aud: { resource: rs.resource } } }) },
])

// ---------------------------------------------------------------------------------------------
// How the token is presented (RS-05, RS-08, RS-12)

/** A raw HTTP/1.1 request through node:http, so that a header can be sent twice. */
function raw(method: string, path: string, headers: Record<string, string | string[]>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, rs.url)
    const req = httpRequest(url, { method, headers: { accept: 'application/json, text/event-stream', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

interface PresentationRow {
  id: string
  attack: string
  send: () => Promise<{ status: number; text: string }>
  status: number
  error: string
}

const body = JSON.stringify(INITIALIZE)
const presentationRows: PresentationRow[] = [
  { id: 'RS-08', attack: 'two Authorization headers, both the same valid token', status: 400, error: 'invalid_request',
    send: async () => { const t = await token(); return raw('POST', '/mcp', { authorization: [`Bearer ${t}`, `Bearer ${t}`] }, body) } },
  { id: 'RS-08', attack: 'two Authorization headers, a valid token first and garbage second', status: 400, error: 'invalid_request',
    send: async () => raw('POST', '/mcp', { authorization: [`Bearer ${await token()}`, 'Bearer garbage'] }, body) },
  { id: 'RS-08', attack: 'two Authorization headers, another user\'s token second', status: 400, error: 'invalid_request',
    send: async () => raw('POST', '/mcp', { authorization: [`Bearer ${await token()}`, `Bearer ${await token({ claims: { sub: 'u-1002' } })}`] }, body) },
  { id: 'RS-08', attack: 'a Basic header and a Bearer header at once', status: 400, error: 'invalid_request',
    send: async () => raw('POST', '/mcp', { authorization: ['Basic YWxpY2U6cHc=', `Bearer ${await token()}`] }, body) },
  { id: 'RS-08', attack: 'two Bearer credentials in one header ("Bearer a, Bearer b")', status: 400, error: 'invalid_request',
    send: async () => { const t = await token(); return raw('POST', '/mcp', { authorization: `Bearer ${t}, Bearer ${t}` }, body) } },
  { id: 'RS-08', attack: '"Bearer" with no token', status: 400, error: 'invalid_request',
    send: () => raw('POST', '/mcp', { authorization: 'Bearer' }, body) },
  { id: 'RS-08', attack: '"Bearer" and the token separated by a tab', status: 400, error: 'invalid_request',
    send: async () => raw('POST', '/mcp', { authorization: `Bearer\t${await token()}` }, body) },
  { id: 'RS-08', attack: 'a token followed by another word', status: 400, error: 'invalid_request',
    send: async () => raw('POST', '/mcp', { authorization: `Bearer ${await token()} extra` }, body) },
  { id: 'RS-08', attack: 'a quoted token', status: 400, error: 'invalid_request',
    send: async () => raw('POST', '/mcp', { authorization: `Bearer "${await token()}"` }, body) },
  { id: 'RS-05', attack: 'the token under another scheme ("Token <jwt>")', status: 401, error: 'invalid_token',
    send: async () => raw('POST', '/mcp', { authorization: `Token ${await token()}` }, body) },
  { id: 'RS-05', attack: 'the scheme glued to the token ("Bearer<jwt>")', status: 401, error: 'invalid_token',
    send: async () => raw('POST', '/mcp', { authorization: `Bearer${await token()}` }, body) },
  { id: 'RS-05', attack: 'the token with no scheme at all', status: 401, error: 'invalid_token',
    send: async () => raw('POST', '/mcp', { authorization: await token() }, body) },
  { id: 'RS-12', attack: 'a query-string token on GET (SSE stream)', status: 400, error: 'invalid_request',
    send: async () => raw('GET', `/mcp?access_token=${await token()}`, {}) },
  { id: 'RS-12', attack: 'a query-string token on DELETE', status: 400, error: 'invalid_request',
    send: async () => raw('DELETE', `/mcp?access_token=${await token()}`, { 'mcp-session-id': 'x' }) },
  { id: 'RS-12', attack: 'an empty access_token query parameter next to a valid header', status: 400, error: 'invalid_request',
    send: async () => raw('POST', '/mcp?access_token=', { authorization: `Bearer ${await token()}` }, body) },
  { id: 'RS-12', attack: 'a query-string token twice', status: 400, error: 'invalid_request',
    send: async () => { const t = await token(); return raw('POST', `/mcp?access_token=${t}&access_token=${t}`, {}, body) } },
]

describe('how the token is presented (RS-05, RS-08, RS-12, RFC 6750 §2)', () => {
  for (const row of presentationRows) {
    test(`${row.id} refuses ${row.attack}`, async () => {
      await assertRefused(await row.send(), row.status, row.error)
    })
  }

  // RFC 6750 §2.1 (`"Bearer" 1*SP b64token`) and RFC 9110 §11.1 (the scheme is case-insensitive): these are valid.
  for (const [title, header] of [
    ['RS-08 accepts a lower-case "bearer" scheme (RFC 9110 §11.1)', (t: string) => `bearer ${t}`],
    ['RS-08 accepts "Bearer" followed by two spaces (RFC 6750 §2.1: 1*SP)', (t: string) => `Bearer  ${t}`],
  ] as const) {
    test(title, async () => {
      const res = await raw('POST', '/mcp', { authorization: header(await token()) }, body)
      assert.equal(res.status, 200, res.text)
    })
  }
})
