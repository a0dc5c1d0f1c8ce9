/**
 * Negative integration suite for the MCP authorization server's token endpoint (jwt-bearer grant).
 *
 * Table-driven and over real HTTP: every row is one `test(...)` whose title names the requirement and
 * the attack, and every row asserts the HTTP status, the `error` code and that no `access_token` was
 * issued. The AS clock is frozen at `T` so that the clock-skew edges are exact to the second.
 * Rows already covered by jwt-bearer.test.ts and client-authentication.test.ts are not repeated.
 * docs/security.md maps each row to its requirement.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey } from 'node:crypto'
import { SignJWT } from 'jose'
import { generateSigningKey, GRANT_TYPE, JWT_TYP, publicJwks, signAccessToken, signClientAssertion, type SigningKey } from '@ema/tokens'
import { CLIENT_ID, CLIENT_SECRET, mintIdJag, redeem, RESOURCE, startAs, startIdp, type MintOptions, type RedeemOptions, type TestAs, type TestIdp } from './helpers.ts'

/** The frozen "now" of the authorization server, in seconds. */
const T = Math.floor(Date.now() / 1000)
const SKEW = 30 // the AS default CLOCK_SKEW_SECONDS
const MAX_LIFETIME = 600 // the AS default MAX_ID_JAG_LIFETIME_SECONDS
const PKJWT_CLIENT = 'acme-agent-tasks-pkjwt'

let idp: TestIdp
let as: TestAs
let clientKey: SigningKey
let attackerKey: SigningKey

before(async () => {
  idp = await startIdp({ subjectNamespace: 'acme' })
  clientKey = await generateSigningKey('ES256')
  attackerKey = await generateSigningKey('ES256')
  as = await startAs([idp], {
    CLIENTS: JSON.stringify([
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token_endpoint_auth_method: 'client_secret_basic' },
      { client_id: PKJWT_CLIENT, token_endpoint_auth_method: 'private_key_jwt', jwks: publicJwks([clientKey]) },
    ]),
  }, { now: () => new Date(T * 1000) })
})
after(async () => {
  await as.close()
  await idp.close()
})

// ---------------------------------------------------------------------------------------------
// Crafting

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')
const json = (value: unknown) => b64(JSON.stringify(value))

/** An ID-JAG as our IdP would mint it, at the frozen `T`, with overrides. */
function mint(options: MintOptions = {}): Promise<string> {
  return mintIdJag(idp, as, { now: T, ...options })
}

/** The default ID-JAG claims at `T`, for tokens crafted byte by byte. */
function defaultClaims(): Record<string, unknown> {
  return { iss: idp.issuer, sub: 'u-1001', aud: as.url, client_id: CLIENT_ID, resource: RESOURCE, scope: 'tasks.read', jti: crypto.randomUUID(), iat: T, exp: T + 300 }
}

/** Signs header and payload given as raw JSON text (so duplicate members survive) with an ES256 key. */
async function signRaw(headerText: string, payloadText: string, key: SigningKey = idp.key): Promise<string> {
  const input = `${b64(headerText)}.${b64(payloadText)}`
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, new TextEncoder().encode(input))
  return `${input}.${b64(new Uint8Array(signature))}`
}

/** The IdP's ES256 header. */
function idpHeader(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: 'ES256', kid: idp.key.kid, typ: JWT_TYP.ID_JAG, ...extra }
}

/** HMAC-signs the default claims with `secret` (the RFC 8725 §2.1 key-confusion attack). */
function hmacSigned(alg: 'HS256' | 'HS384' | 'HS512', secret: string): Promise<string> {
  return new SignJWT(defaultClaims()).setProtectedHeader({ alg, kid: idp.key.kid, typ: JWT_TYP.ID_JAG }).sign(new TextEncoder().encode(secret))
}

const idpPublicPem = () => createPublicKey({ key: idp.key.publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()

/** Replaces one dot-separated part of a good ID-JAG. */
async function withPart(index: 0 | 1 | 2, part: string): Promise<string> {
  const parts = (await mint()).split('.')
  parts[index] = part
  return parts.join('.')
}

// ---------------------------------------------------------------------------------------------
// Asserting

/** Every refusal: status, `error`, a string description, and no token of any kind in the body. */
async function assertRefused(res: Response, status: number, error: string): Promise<void> {
  const text = await res.text()
  let body: Record<string, unknown>
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    assert.fail(`expected a JSON error body, got ${res.status} ${res.headers.get('content-type')}: ${text.slice(0, 200)}`)
  }
  assert.equal(body.access_token, undefined, 'a refusal must never carry an access_token')
  assert.equal(res.status, status, text)
  assert.equal(body.error, error, text)
  assert.equal(typeof body.error_description, 'string')
}

interface AssertionRow {
  id: string
  attack: string
  assertion: () => Promise<string> | string
  options?: RedeemOptions
  status?: number
  error?: string
}

function table(name: string, rows: AssertionRow[]): void {
  describe(name, () => {
    for (const row of rows) {
      test(`${row.id} refuses ${row.attack}`, async () => {
        const res = await redeem(as, await row.assertion(), row.options)
        await assertRefused(res, row.status ?? 400, row.error ?? 'invalid_grant')
      })
    }
  })
}

// ---------------------------------------------------------------------------------------------
// RFC 8725 and JWT-library CVE attacks on the assertion

table('alg none, every spelling (AS-14, RFC 8725 §3.1, CVE-2015-9235)', [
  ...['none', 'None', 'NONE', 'nOnE'].flatMap((alg): AssertionRow[] => [
    { id: 'AS-14', attack: `alg "${alg}" with an empty signature`, assertion: () => `${json(idpHeader({ alg }))}.${json(defaultClaims())}.` },
    { id: 'AS-14', attack: `alg "${alg}" with a garbage signature`, assertion: () => `${json(idpHeader({ alg }))}.${json(defaultClaims())}.${b64('sig')}` },
  ]),
  { id: 'AS-14', attack: 'alg "none" keeping the IdP\'s real signature', assertion: async () => {
    const [, payload, signature] = (await mint()).split('.')
    return `${json(idpHeader({ alg: 'none' }))}.${payload}.${signature}`
  } },
  { id: 'AS-14', attack: 'a header with no alg at all', assertion: () => signRaw(JSON.stringify({ kid: idp.key.kid, typ: JWT_TYP.ID_JAG }), JSON.stringify(defaultClaims())) },
  { id: 'AS-14', attack: 'alg given as a number', assertion: () => `${json(idpHeader({ alg: 256 }))}.${json(defaultClaims())}.${b64('sig')}` },
])

table('HMAC signed with the IdP public key (AS-14, RFC 8725 §2.1, CVE-2016-10555)', [
  ...(['HS256', 'HS384', 'HS512'] as const).flatMap((alg): AssertionRow[] => [
    { id: 'AS-14', attack: `${alg} with the IdP public key (PEM) as the secret`, assertion: () => hmacSigned(alg, idpPublicPem()) },
    { id: 'AS-14', attack: `${alg} with the IdP public JWK (JSON) as the secret`, assertion: () => hmacSigned(alg, JSON.stringify(idp.key.publicJwk)) },
  ]),
  { id: 'AS-14', attack: 'an ES256 token relabelled ES384 (algorithm substitution)', assertion: async () => {
    const [, payload, signature] = (await mint()).split('.')
    return `${json(idpHeader({ alg: 'ES384' }))}.${payload}.${signature}`
  } },
])

table('kid attacks (AS-13, AS-15)', [
  { id: 'AS-15', attack: 'an unknown kid', assertion: () => mint({ header: { kid: 'no-such-key' } }) },
  { id: 'AS-15', attack: 'a path-traversal kid ("../../../../dev/null")', assertion: () => mint({ header: { kid: '../../../../dev/null' } }) },
  { id: 'AS-15', attack: 'a SQL-looking kid ("\' OR 1=1 --")', assertion: () => mint({ header: { kid: "' OR 1=1 --" } }) },
  { id: 'AS-15', attack: 'a kid that is a URL', assertion: () => mint({ header: { kid: 'https://attacker.example/jwks.json' } }) },
  { id: 'AS-15', attack: 'an empty kid', assertion: () => mint({ header: { kid: '' } }) },
  { id: 'AS-15', attack: 'a kid that is a number', assertion: () => mint({ header: { kid: 42 } }) },
  { id: 'AS-13', attack: 'the IdP kid on a token signed by an attacker key', assertion: () => mint({ signWith: attackerKey }) },
])

table('self-declared keys (AS-15, RFC 8725 §3.10, CVE-2018-0114)', [
  { id: 'AS-15', attack: 'a "jku" header pointing at an attacker JWKS', assertion: () => mint({ signWith: attackerKey, header: { kid: attackerKey.kid, jku: 'https://attacker.example/jwks.json' } }) },
  { id: 'AS-15', attack: 'a "x5u" header pointing at an attacker certificate', assertion: () => mint({ signWith: attackerKey, header: { x5u: 'https://attacker.example/cert.pem' } }) },
  { id: 'AS-15', attack: 'an embedded "jwk" header with the attacker key that signed it', assertion: () => mint({ signWith: attackerKey, header: { kid: attackerKey.kid, jwk: attackerKey.publicJwk } }) },
  { id: 'AS-15', attack: 'an embedded "jwk" header with the genuine IdP key', assertion: () => mint({ header: { jwk: idp.key.publicJwk } }) },
  { id: 'AS-15', attack: 'an "x5c" header with a self-made chain', assertion: () => mint({ signWith: attackerKey, header: { x5c: [b64('not-a-certificate')] } }) },
])

table('crit (AS-33, RFC 7515 §4.1.11), signed by the IdP', [
  { id: 'AS-33', attack: 'crit naming an unknown extension that is present', assertion: () => signRaw(JSON.stringify(idpHeader({ crit: ['urn:attacker:ext'], 'urn:attacker:ext': true })), JSON.stringify(defaultClaims())) },
  { id: 'AS-33', attack: 'crit naming an extension that is absent', assertion: () => signRaw(JSON.stringify(idpHeader({ crit: ['urn:attacker:ext'] })), JSON.stringify(defaultClaims())) },
  { id: 'AS-33', attack: 'an empty crit array', assertion: () => signRaw(JSON.stringify(idpHeader({ crit: [] })), JSON.stringify(defaultClaims())) },
  { id: 'AS-33', attack: 'crit that is a string, not an array', assertion: () => signRaw(JSON.stringify(idpHeader({ crit: 'exp', exp: T + 300 })), JSON.stringify(defaultClaims())) },
  { id: 'AS-33', attack: 'crit naming "b64" with an unencoded payload', assertion: () => signRaw(JSON.stringify(idpHeader({ crit: ['b64'], b64: false })), JSON.stringify(defaultClaims())) },
  { id: 'AS-33', attack: 'crit naming a registered header ("alg")', assertion: () => signRaw(JSON.stringify(idpHeader({ crit: ['alg'] })), JSON.stringify(defaultClaims())) },
])

table('malformed JWS (AS-11, AS-33)', [
  { id: 'AS-11', attack: 'a 1-part token', assertion: async () => (await mint()).split('.')[0] ?? '' },
  { id: 'AS-11', attack: 'a 2-part token (header.payload)', assertion: async () => (await mint()).split('.').slice(0, 2).join('.') },
  { id: 'AS-11', attack: 'a 4-part token', assertion: async () => `${await mint()}.${b64('extra')}` },
  { id: 'AS-11', attack: 'three empty parts ("..")', assertion: () => '..' },
  { id: 'AS-11', attack: 'an empty header part', assertion: () => withPart(0, '') },
  { id: 'AS-11', attack: 'an empty payload part', assertion: () => withPart(1, '') },
  { id: 'AS-11', attack: 'a header that is not base64url', assertion: () => withPart(0, '!!!*&^%') },
  { id: 'AS-11', attack: 'a payload that is not base64url', assertion: () => withPart(1, '@@@ not base64 @@@') },
  { id: 'AS-11', attack: 'a signature that is not base64url', assertion: () => withPart(2, '***') },
  { id: 'AS-11', attack: 'a header that is not JSON', assertion: () => withPart(0, b64('alg=ES256')) },
  { id: 'AS-11', attack: 'a payload that is not JSON, signed by the IdP', assertion: () => signRaw(JSON.stringify(idpHeader()), 'iss=idp&sub=u-1001') },
  { id: 'AS-11', attack: 'a payload that is a JSON array, signed by the IdP', assertion: () => signRaw(JSON.stringify(idpHeader()), JSON.stringify([defaultClaims()])) },
  { id: 'AS-11', attack: 'a payload that is a JSON string, signed by the IdP', assertion: () => signRaw(JSON.stringify(idpHeader()), JSON.stringify('u-1001')) },
  { id: 'AS-11', attack: 'a payload that is JSON null, signed by the IdP', assertion: () => signRaw(JSON.stringify(idpHeader()), 'null') },
  { id: 'AS-11', attack: 'a header that is a JSON array', assertion: () => signRaw(JSON.stringify([idpHeader()]), JSON.stringify(defaultClaims())) },
  { id: 'AS-11', attack: 'whitespace only', assertion: () => '   ' },
])

table('nested and encrypted tokens (AS-31, RFC 7519 §7.2)', [
  { id: 'AS-31', attack: 'a 5-part JWE with cty JWT', assertion: () => `${json({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', typ: JWT_TYP.ID_JAG })}.${b64('k')}.${b64('iv')}.${b64('ct')}.${b64('tag')}` },
  { id: 'AS-31', attack: 'a 5-part JWE with "dir" and empty key part', assertion: () => `${json({ alg: 'dir', enc: 'A128GCM', typ: JWT_TYP.ID_JAG })}..${b64('iv')}.${b64('ct')}.${b64('tag')}` },
  { id: 'AS-31', attack: 'a nested JWS (cty JWT) whose payload is a signed ID-JAG', assertion: async () => signRaw(JSON.stringify(idpHeader({ cty: 'JWT' })), await mint()) },
  { id: 'AS-31', attack: 'a JWS declaring cty JWT around a plain claims set', assertion: () => mint({ header: { cty: 'JWT' } }) },
])

table('duplicate member names (AS-33, RFC 7519 §4, RFC 7515 §4)', [
  { id: 'AS-33', attack: 'a duplicated "aud" claim (another AS first, ours last)', assertion: () => {
    const { aud, ...rest } = defaultClaims()
    return signRaw(JSON.stringify(idpHeader()), `{"aud":"http://localhost:1/other-as",${JSON.stringify(rest).slice(1, -1)},"aud":${JSON.stringify(aud)}}`)
  } },
  { id: 'AS-33', attack: 'a duplicated "sub" claim', assertion: () => signRaw(JSON.stringify(idpHeader()), `{"sub":"u-admin",${JSON.stringify(defaultClaims()).slice(1)}`) },
  { id: 'AS-33', attack: 'a duplicated "client_id" claim', assertion: () => signRaw(JSON.stringify(idpHeader()), `{"client_id":"someone-else",${JSON.stringify(defaultClaims()).slice(1)}`) },
  { id: 'AS-33', attack: 'a duplicated "scope" claim written with a unicode escape', assertion: () => signRaw(JSON.stringify(idpHeader()), `{"sc\\u006fpe":"tasks.write",${JSON.stringify(defaultClaims()).slice(1)}`) },
  { id: 'AS-33', attack: 'a duplicated "typ" header parameter', assertion: () => signRaw(`{"typ":"JWT",${JSON.stringify(idpHeader()).slice(1)}`, JSON.stringify(defaultClaims())) },
  { id: 'AS-33', attack: 'a duplicated "alg" header parameter', assertion: () => signRaw(`{"alg":"none",${JSON.stringify(idpHeader()).slice(1)}`, JSON.stringify(defaultClaims())) },
])

table('wrong claim types (AS-33, RFC 7519 §4.1)', [
  { id: 'AS-33', attack: 'a string exp', assertion: () => mint({ claims: { exp: String(T + 300) } }) },
  { id: 'AS-33', attack: 'a null exp', assertion: () => mint({ claims: { exp: null } }) },
  { id: 'AS-33', attack: 'a string iat', assertion: () => mint({ claims: { iat: String(T) } }) },
  { id: 'AS-33', attack: 'a string nbf', assertion: () => mint({ claims: { nbf: String(T) } }) },
  { id: 'AS-33', attack: 'a boolean exp', assertion: () => mint({ claims: { exp: true } }) },
  { id: 'AS-19', attack: 'a number sub', assertion: () => mint({ claims: { sub: 1001 } }) },
  { id: 'AS-19', attack: 'an array sub', assertion: () => mint({ claims: { sub: ['u-1001'] } }) },
  { id: 'AS-16', attack: 'an array iss', assertion: () => mint({ claims: { iss: [idp.issuer] } }) },
  { id: 'AS-16', attack: 'an object iss', assertion: () => mint({ claims: { iss: { url: idp.issuer } } }) },
  { id: 'AS-26', attack: 'an object scope', assertion: () => mint({ claims: { scope: { 'tasks.read': true } } }) },
  { id: 'AS-26', attack: 'an array scope', assertion: () => mint({ claims: { scope: ['tasks.read'] } }) },
  { id: 'AS-18', attack: 'a number client_id', assertion: () => mint({ claims: { client_id: 42 } }) },
  { id: 'AS-23', attack: 'a number jti', assertion: () => mint({ claims: { jti: 7 } }) },
  { id: 'AS-24', attack: 'an object resource', assertion: () => mint({ claims: { resource: { uri: RESOURCE } } }) },
  { id: 'AS-17', attack: 'an object aud', assertion: () => mint({ claims: { aud: { iss: as.url } } }) },
])

table('huge assertions (AS-11)', [
  { id: 'AS-11', attack: 'an assertion one character over the 8192 limit', assertion: async () => {
    const base = await mint()
    return mint({ claims: { pad: 'x'.repeat(8193 - base.length + 60) } }).then((token) => token.length > 8192 ? token : assert.fail('not long enough'))
  } },
  // oidc-provider refuses a body this large before the grant runs: a malformed request, not a bad grant.
  { id: 'AS-11', attack: 'a 60 KB assertion', assertion: () => mint({ claims: { pad: 'x'.repeat(60_000) } }), error: 'invalid_request' },
])

table('clock skew edges, refused side (AS-20, AS-21, AS-22)', [
  { id: 'AS-20', attack: `exp exactly ${SKEW} s in the past (now = exp + skew is not before exp + skew)`, assertion: () => mint({ claims: { iat: T - 300, exp: T - SKEW } }) },
  { id: 'AS-20', attack: `exp ${SKEW + 1} s in the past`, assertion: () => mint({ claims: { iat: T - 300, exp: T - SKEW - 1 } }) },
  { id: 'AS-21', attack: `iat ${SKEW + 1} s in the future`, assertion: () => mint({ claims: { iat: T + SKEW + 1, exp: T + SKEW + 300 } }) },
  { id: 'AS-22', attack: `nbf ${SKEW + 1} s in the future`, assertion: () => mint({ claims: { nbf: T + SKEW + 1 } }) },
  { id: 'AS-21', attack: `a lifetime of ${MAX_LIFETIME + 1} s (one over the cap)`, assertion: () => mint({ claims: { iat: T, exp: T + MAX_LIFETIME + 1 } }) },
  { id: 'AS-21', attack: 'exp before iat', assertion: () => mint({ claims: { iat: T, exp: T - 1 } }) },
  { id: 'AS-21', attack: 'an iat at the epoch with a far-future exp', assertion: () => mint({ claims: { iat: 0, exp: T + 300 } }) },
  { id: 'AS-20', attack: 'an exp of 1e20', assertion: () => mint({ claims: { exp: 1e20 } }) },
])

describe('clock skew edges, accepted side (AS-20, AS-21, AS-22): the boundaries above are exact', () => {
  const accepted: Array<[string, Record<string, unknown>]> = [
    [`AS-20 accepts exp ${SKEW - 1} s in the past (the last second within skew)`, { iat: T - 300, exp: T - SKEW + 1 }],
    [`AS-21 accepts iat exactly ${SKEW} s in the future`, { iat: T + SKEW, exp: T + SKEW + 300 }],
    [`AS-22 accepts nbf exactly ${SKEW} s in the future`, { nbf: T + SKEW }],
    [`AS-21 accepts a lifetime of exactly ${MAX_LIFETIME} s`, { iat: T, exp: T + MAX_LIFETIME }],
  ]
  for (const [title, claims] of accepted) {
    test(title, async () => {
      const res = await redeem(as, await mint({ claims }))
      assert.equal(res.status, 200, await res.clone().text())
      assert.equal(typeof ((await res.json()) as Record<string, unknown>).access_token, 'string')
    })
  }
})

table('every wrong typ (AS-12, RFC 8725 §3.11–§3.12)', [
  { id: 'AS-12', attack: 'a JWT with no typ', assertion: () => mint({ header: { typ: undefined } }) },
  { id: 'AS-12', attack: 'typ "application/at+jwt"', assertion: () => mint({ header: { typ: 'application/at+jwt' } }) },
  { id: 'AS-12', attack: 'typ "logout+jwt"', assertion: () => mint({ header: { typ: 'logout+jwt' } }) },
  { id: 'AS-12', attack: 'typ "secevent+jwt"', assertion: () => mint({ header: { typ: 'secevent+jwt' } }) },
  { id: 'AS-12', attack: 'typ "dpop+jwt"', assertion: () => mint({ header: { typ: 'dpop+jwt' } }) },
  { id: 'AS-12', attack: 'typ "oauth-id-jag" (no +jwt)', assertion: () => mint({ header: { typ: 'oauth-id-jag' } }) },
  { id: 'AS-12', attack: 'typ "oauth-id-jag+jwt " (trailing space)', assertion: () => mint({ header: { typ: 'oauth-id-jag+jwt ' } }) },
  { id: 'AS-12', attack: 'typ "oauth-id-jag+jwt; charset=utf-8"', assertion: () => mint({ header: { typ: 'oauth-id-jag+jwt; charset=utf-8' } }) },
  { id: 'AS-12', attack: 'typ as an array', assertion: () => mint({ header: { typ: [JWT_TYP.ID_JAG] } }) },
  { id: 'AS-12', attack: 'an IdP ID token (no typ, aud = the client) presented as an ID-JAG', assertion: () => new SignJWT({ sub: 'u-1001', nonce: 'n', auth_time: T })
    .setProtectedHeader({ alg: 'ES256', kid: idp.key.kid }).setIssuer(idp.issuer).setAudience('acme-agent').setIssuedAt(T).setExpirationTime(T + 300).sign(idp.key.privateKey) },
  { id: 'AS-12', attack: 'a client assertion signed with the IdP key (typ JWT, aud = this AS)', assertion: () => new SignJWT({ client_id: CLIENT_ID, jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: idp.key.kid, typ: 'JWT' }).setIssuer(idp.issuer).setSubject(CLIENT_ID).setAudience(as.url).setIssuedAt(T).setExpirationTime(T + 60).sign(idp.key.privateKey) },
  { id: 'AS-12', attack: 'the client\'s own private_key_jwt client assertion presented as the ID-JAG', assertion: () => signClientAssertion({ clientId: CLIENT_ID, audience: as.url, now: new Date(T * 1000), key: clientKey }) },
  { id: 'AS-16', attack: 'an access token this AS-shaped issuer signed (at+jwt) presented as the ID-JAG', assertion: () => signAccessToken({
    issuer: as.url, subject: 'acme|u-1001', audience: RESOURCE, clientId: CLIENT_ID, scope: 'tasks.read', expiresInSeconds: 300, now: new Date(T * 1000), key: attackerKey,
  }) },
])

table('aud shapes (AS-17, AS-32)', [
  { id: 'AS-17', attack: 'an aud array naming our issuer twice', assertion: () => mint({ claims: { aud: [as.url, as.url] } }) },
  { id: 'AS-17', attack: 'an empty aud array', assertion: () => mint({ claims: { aud: [] } }) },
  { id: 'AS-17', attack: 'no aud', assertion: () => mint({ claims: { aud: undefined } }) },
  { id: 'AS-17', attack: 'an aud array of two with ours second', assertion: () => mint({ claims: { aud: ['http://localhost:1/other-as', as.url] } }) },
  { id: 'AS-17', attack: 'aud = a prefix of our issuer', assertion: () => mint({ claims: { aud: as.url.slice(0, -1) } }) },
  { id: 'AS-17', attack: 'aud = our issuer with a suffix (prefix match)', assertion: () => mint({ claims: { aud: `${as.url}0` } }) },
  { id: 'AS-17', attack: 'aud = our issuer with a path', assertion: () => mint({ claims: { aud: `${as.url}/token` } }) },
  { id: 'AS-17', attack: 'aud = our issuer in upper case', assertion: () => mint({ claims: { aud: as.url.toUpperCase() } }) },
  { id: 'AS-17', attack: 'aud = our issuer with 127.0.0.1 for localhost', assertion: () => mint({ claims: { aud: as.url.replace('localhost', '127.0.0.1') } }) },
  { id: 'AS-17', attack: 'aud = the MCP server (resource) instead of the AS', assertion: () => mint({ claims: { aud: RESOURCE } }) },
  { id: 'AS-32', attack: 'aud = the IdP itself', assertion: () => mint({ claims: { aud: idp.issuer } }) },
  { id: 'AS-17', attack: 'a one-element aud array naming another AS', assertion: () => mint({ claims: { aud: ['http://localhost:1/other-as'] } }) },
])

table('resource of another server (AS-24, AS-25, ambiguity 6)', [
  { id: 'AS-24', attack: 'a resource with a trailing slash', assertion: () => mint({ claims: { resource: `${RESOURCE}/` } }) },
  { id: 'AS-24', attack: 'a resource in upper case', assertion: () => mint({ claims: { resource: RESOURCE.toUpperCase() } }) },
  { id: 'AS-24', attack: 'a resource with a query string', assertion: () => mint({ claims: { resource: `${RESOURCE}?tenant=evil` } }) },
  { id: 'AS-24', attack: 'a resource that extends ours (prefix match)', assertion: () => mint({ claims: { resource: `${RESOURCE}-admin` } }) },
  { id: 'AS-24', attack: 'a resource that is the AS itself', assertion: () => mint({ claims: { resource: as.url } }) },
  { id: 'AS-24', attack: 'an empty resource', assertion: () => mint({ claims: { resource: '' } }) },
  { id: 'AS-24', attack: 'an empty resource array', assertion: () => mint({ claims: { resource: [] } }) },
  { id: 'AS-24', attack: 'a one-element resource array naming another server', assertion: () => mint({ claims: { resource: ['http://localhost:4999/mcp'] } }) },
  { id: 'AS-24', attack: 'a resource parameter with a trailing slash', assertion: () => mint(), options: { resource: `${RESOURCE}/` }, error: 'invalid_target' },
  { id: 'AS-24', attack: 'a resource parameter naming the AS', assertion: () => mint(), options: { resource: 'http://localhost:1/' }, error: 'invalid_target' },
])

table('scope outside registration (AS-26, AS-27)', [
  { id: 'AS-26', attack: 'an ID-JAG scope in upper case', assertion: () => mint({ claims: { scope: 'TASKS.READ' } }) },
  { id: 'AS-26', attack: 'an ID-JAG scope joined with a tab', assertion: () => mint({ claims: { scope: 'tasks.read\ttasks.write' } }) },
  { id: 'AS-26', attack: 'an ID-JAG scope "openid"', assertion: () => mint({ claims: { scope: 'openid tasks.read' } }) },
  { id: 'AS-26', attack: 'an ID-JAG wildcard scope "tasks.*"', assertion: () => mint({ claims: { scope: 'tasks.*' } }) },
  { id: 'AS-26', attack: 'an ID-JAG scope "offline_access"', assertion: () => mint({ claims: { scope: 'tasks.read offline_access' } }) },
  { id: 'AS-27', attack: 'an empty ID-JAG scope', assertion: () => mint({ claims: { scope: '' } }), error: 'invalid_scope' },
  { id: 'AS-27', attack: 'a requested scope the MCP server does not define', assertion: () => mint(), options: { scope: 'admin' }, error: 'invalid_scope' },
  { id: 'AS-27', attack: 'a requested scope in upper case', assertion: () => mint(), options: { scope: 'TASKS.READ' }, error: 'invalid_scope' },
])

// ---------------------------------------------------------------------------------------------
// Request-level attacks

interface RequestRow {
  id: string
  attack: string
  send: () => Promise<Response>
  status: number
  error: string
}

const basic = (id = CLIENT_ID, secret = CLIENT_SECRET) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`
const FORM = 'application/x-www-form-urlencoded'

/** POSTs raw pairs to /token with the given headers. */
async function post(pairs: Array<[string, string]>, headers: Record<string, string> = { authorization: basic() }, contentType = FORM): Promise<Response> {
  return fetch(`${as.url}/token`, { method: 'POST', headers: { 'content-type': contentType, accept: 'application/json', ...headers }, body: new URLSearchParams(pairs).toString() })
}

const requestRows: RequestRow[] = [
  { id: 'AS-08', attack: 'Basic and client_secret in the body at once (RFC 6749 §2.3)', status: 400, error: 'invalid_request',
    send: async () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['assertion', await mint()], ['client_id', CLIENT_ID], ['client_secret', CLIENT_SECRET]]) },
  { id: 'AS-08', attack: 'Basic and a private_key_jwt client assertion at once', status: 400, error: 'invalid_request',
    send: async () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['assertion', await mint()], ['client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
      ['client_assertion', await signClientAssertion({ clientId: PKJWT_CLIENT, audience: as.url, now: new Date(), key: clientKey })]]) },
  { id: 'AS-08', attack: 'client_secret and client_assertion in the body at once', status: 400, error: 'invalid_request',
    send: async () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['assertion', await mint()], ['client_id', PKJWT_CLIENT], ['client_secret', 'x'],
      ['client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
      ['client_assertion', await signClientAssertion({ clientId: PKJWT_CLIENT, audience: as.url, now: new Date(), key: clientKey })]], {}) },
  { id: 'AS-08', attack: 'a Basic header for one client and client_id of another in the body', status: 400, error: 'invalid_request',
    send: async () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['assertion', await mint()], ['client_id', PKJWT_CLIENT]]) },
  { id: 'AS-08', attack: 'private_key_jwt by a client registered for client_secret_basic', status: 401, error: 'invalid_client',
    send: async () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['assertion', await mint()], ['client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
      ['client_assertion', await signClientAssertion({ clientId: CLIENT_ID, audience: as.url, now: new Date(), key: clientKey })]], {}) },
  { id: 'AS-08', attack: 'client_secret_basic by a client registered for private_key_jwt', status: 401, error: 'invalid_client',
    send: async () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['assertion', await mint({ claims: { client_id: PKJWT_CLIENT } })]], { authorization: basic(PKJWT_CLIENT, 'guess') }) },
  { id: 'AS-08', attack: 'a Basic header that is not base64', status: 400, error: 'invalid_request',
    send: async () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['assertion', await mint()]], { authorization: 'Basic %%%not-base64%%%' }) },
  { id: 'AS-07', attack: 'a JSON body where a form is required', status: 400, error: 'invalid_request',
    send: async () => fetch(`${as.url}/token`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic() }, body: JSON.stringify({ grant_type: GRANT_TYPE.JWT_BEARER, assertion: await mint() }) }) },
  { id: 'AS-07', attack: 'a form body labelled text/plain', status: 400, error: 'invalid_request',
    send: async () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['assertion', await mint()]], { authorization: basic() }, 'text/plain') },
  { id: 'AS-07', attack: 'a multipart/form-data body', status: 400, error: 'invalid_request',
    send: async () => {
      const form = new FormData()
      form.append('grant_type', GRANT_TYPE.JWT_BEARER)
      form.append('assertion', await mint())
      return fetch(`${as.url}/token`, { method: 'POST', headers: { authorization: basic() }, body: form })
    } },
  { id: 'AS-07', attack: 'a POST with no body at all', status: 400, error: 'invalid_request',
    send: () => fetch(`${as.url}/token`, { method: 'POST', headers: { authorization: basic() } }) },
  { id: 'AS-07', attack: 'the parameters in the query string of an empty POST (SEC-02)', status: 400, error: 'invalid_request',
    send: async () => fetch(`${as.url}/token?${new URLSearchParams({ grant_type: GRANT_TYPE.JWT_BEARER, assertion: await mint() }).toString()}`, { method: 'POST', headers: { 'content-type': FORM, authorization: basic() }, body: '' }) },
  { id: 'AS-07', attack: 'GET instead of POST, parameters in the query', status: 405, error: 'invalid_request',
    send: async () => fetch(`${as.url}/token?${new URLSearchParams({ grant_type: GRANT_TYPE.JWT_BEARER, assertion: await mint() }).toString()}`, { headers: { authorization: basic() } }) },
  { id: 'AS-07', attack: 'PUT instead of POST', status: 405, error: 'invalid_request',
    send: async () => fetch(`${as.url}/token`, { method: 'PUT', headers: { 'content-type': FORM, authorization: basic() }, body: new URLSearchParams({ grant_type: GRANT_TYPE.JWT_BEARER, assertion: await mint() }) }) },
  { id: 'AS-07', attack: 'a missing grant_type', status: 400, error: 'invalid_request',
    send: async () => post([['assertion', await mint()]]) },
  { id: 'AS-07', attack: 'an empty grant_type', status: 400, error: 'invalid_request',
    send: async () => post([['grant_type', ''], ['assertion', await mint()]]) },
  { id: 'AS-07', attack: 'grant_type twice (same value)', status: 400, error: 'invalid_request',
    send: async () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['grant_type', GRANT_TYPE.JWT_BEARER], ['assertion', await mint()]]) },
  { id: 'AS-07', attack: 'grant_type twice (jwt-bearer and client_credentials)', status: 400, error: 'invalid_request',
    send: async () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['grant_type', 'client_credentials'], ['assertion', await mint()]]) },
  { id: 'AS-07', attack: 'two different assertions', status: 400, error: 'invalid_request',
    send: async () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['assertion', await mint()], ['assertion', await mint({ claims: { scope: 'tasks.read' } })]]) },
  { id: 'AS-07', attack: 'a good assertion followed by an empty one', status: 400, error: 'invalid_request',
    send: async () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['assertion', await mint()], ['assertion', '']]) },
  { id: 'AS-07', attack: 'scope twice', status: 400, error: 'invalid_request',
    send: async () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['assertion', await mint()], ['scope', 'tasks.read'], ['scope', 'tasks.write']]) },
  { id: 'AS-07', attack: 'an empty assertion', status: 400, error: 'invalid_request',
    send: () => post([['grant_type', GRANT_TYPE.JWT_BEARER], ['assertion', '']]) },
  { id: 'AS-07', attack: 'an unknown grant_type ("password")', status: 400, error: 'unsupported_grant_type',
    send: () => post([['grant_type', 'password'], ['username', 'alice'], ['password', 'alice-password']]) },
  // The AS has a token exchange of its own now (OBO): an ID-JAG is no subject token there (OBO-09).
  { id: 'AS-07 OBO-09', attack: 'the IdP\'s token-exchange grant at the AS (an ID-JAG as subject_token)', status: 400, error: 'invalid_request',
    send: async () => post([['grant_type', GRANT_TYPE.TOKEN_EXCHANGE], ['subject_token', await mint()], ['subject_token_type', 'urn:ietf:params:oauth:token-type:id-jag']]) },
  { id: 'AS-07', attack: 'the jwt-bearer URN in upper case', status: 400, error: 'unsupported_grant_type',
    send: async () => post([['grant_type', GRANT_TYPE.JWT_BEARER.toUpperCase()], ['assertion', await mint()]]) },
  { id: 'AS-07', attack: 'the authorization_code grant', status: 400, error: 'unsupported_grant_type',
    send: () => post([['grant_type', 'authorization_code'], ['code', 'x'], ['redirect_uri', 'http://localhost/cb']]) },
]

describe('request-level attacks (AS-07, AS-08, RFC 6749 §2.3, §3.2, §5.2)', () => {
  for (const row of requestRows) {
    test(`${row.id} refuses ${row.attack}`, async () => {
      await assertRefused(await row.send(), row.status, row.error)
    })
  }
})
