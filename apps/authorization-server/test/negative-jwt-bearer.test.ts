/**
 * Negative integration suite for the MCP authorization server's token endpoint (jwt-bearer grant).
 *
 * Over real HTTP, with the AS clock frozen at `T`. The RFC 8725 catalogue (@ema/test-kit) runs in
 * full against verifyIdJag in packages/tokens; here one attack per family proves the wiring, and
 * the rest are this endpoint's own rules. Every refusal is pinned by assertOAuthRefusal. Rows already
 * covered by jwt-bearer.test.ts and client-authentication.test.ts are not repeated.
 */
import { basicAuthorization } from '@ema/demo-kit'
import { formPairs, jwtAttackWiring, postForm, refusalTable, type FormFields, type RefusalRow } from '@ema/test-kit'
import { SignJWT } from 'jose'
import {
  generateSigningKey,
  GRANT_TYPE,
  JWT_TYP,
  signAccessToken,
  signClientAssertion,
  type SigningKey,
} from '@ema/tokens'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  mintIdJag,
  redeem,
  RESOURCE,
  type MintOptions,
  type RedeemOptions,
  type TestAs,
  type TestIdp,
  useJwtBearer,
  twoClientAuthentications,
  PKJWT_CLIENT,
} from './support/jwt-bearer.ts'

/** The frozen "now" of the authorization server, in seconds. */
const T = Math.floor(Date.now() / 1000)
const NO_STORE = { 'cache-control': 'no-store' }

let idp: TestIdp
let as: TestAs
let clientKey: SigningKey
let attackerKey: SigningKey

useJwtBearer(
  (suite) => ({ idp, as } = suite),
  async () => {
    clientKey = await generateSigningKey('ES256')
    attackerKey = await generateSigningKey('ES256')
    return {
      idp: { subjectNamespace: 'acme' },
      env: { CLIENTS: twoClientAuthentications(clientKey) },
      options: { now: () => new Date(T * 1000) },
    }
  },
)

/** An ID-JAG as our IdP would mint it, at the frozen `T`, with overrides. */
const mint = (options: MintOptions = {}) => mintIdJag(idp, as, { now: T, ...options })

jwtAttackWiring('the RFC 8725 catalogue at /token', {
  kind: { typ: JWT_TYP.ID_JAG },
  ids: {
    alg: 'AS-14',
    kid: 'AS-15',
    signature: 'AS-13',
    'key-headers': 'AS-15',
    crit: 'AS-33',
    shape: 'AS-11',
    size: 'AS-11',
    nesting: 'AS-31',
    duplicates: 'AS-33',
    'claim-types': 'AS-33',
    exp: 'AS-20',
    iat: 'AS-21',
    nbf: 'AS-22',
    lifetime: 'AS-21',
    iss: 'AS-16',
    typ: 'AS-12',
  },
  target: () => ({
    label: 'ID-JAG',
    typ: JWT_TYP.ID_JAG,
    key: idp.key,
    attackerKey,
    now: T,
    clockSkewSeconds: 30,
    maxLifetimeSeconds: 600,
    maxLength: 8192, // the AS defaults
    claims: () => ({
      iss: idp.issuer,
      sub: 'u-1001',
      aud: as.url,
      client_id: CLIENT_ID,
      resource: RESOURCE,
      scope: 'tasks.read',
      jti: crypto.randomUUID(),
      iat: T,
      exp: T + 300,
    }),
  }),
  send: (assertion) => redeem(as, assertion),
  status: 400,
  error: 'invalid_grant',
  headers: NO_STORE,
})

// ---------------------------------------------------------------------------------------------
// This endpoint's own rules for the assertion

interface AssertionRow extends RefusalRow {
  assertion: () => Promise<string> | string
  options?: RedeemOptions
}

const table = (name: string, rows: AssertionRow[]) =>
  refusalTable(name, rows, {
    send: async (row) => redeem(as, await row.assertion(), row.options),
    status: 400,
    error: 'invalid_grant',
    headers: NO_STORE,
  })

table("wrong types of the ID-JAG's own claims (AS-16 … AS-26)", [
  { id: 'AS-19', attack: 'a number sub', assertion: () => mint({ claims: { sub: 1001 } }) },
  { id: 'AS-19', attack: 'an array sub', assertion: () => mint({ claims: { sub: ['u-1001'] } }) },
  { id: 'AS-26', attack: 'an object scope', assertion: () => mint({ claims: { scope: { 'tasks.read': true } } }) },
  { id: 'AS-26', attack: 'an array scope', assertion: () => mint({ claims: { scope: ['tasks.read'] } }) },
  { id: 'AS-18', attack: 'a number client_id', assertion: () => mint({ claims: { client_id: 42 } }) },
  { id: 'AS-23', attack: 'a number jti', assertion: () => mint({ claims: { jti: 7 } }) },
  { id: 'AS-24', attack: 'an object resource', assertion: () => mint({ claims: { resource: { uri: RESOURCE } } }) },
  { id: 'AS-17', attack: 'an object aud', assertion: () => mint({ claims: { aud: { iss: as.url } } }) },
])

table('a huge assertion (AS-11)', [
  // oidc-provider refuses a body this large before the grant runs: a malformed request, not a bad grant.
  {
    id: 'AS-11',
    attack: 'a 60 KB assertion',
    assertion: () => mint({ claims: { pad: 'x'.repeat(60_000) } }),
    error: 'invalid_request',
  },
])

table('other tokens of this system presented as the ID-JAG (AS-12, AS-16, RFC 8725 §3.12)', [
  {
    id: 'AS-12',
    attack: 'an IdP ID token (no typ, aud = the client) presented as an ID-JAG',
    assertion: () =>
      new SignJWT({ sub: 'u-1001', nonce: 'n', auth_time: T })
        .setProtectedHeader({ alg: 'ES256', kid: idp.key.kid })
        .setIssuer(idp.issuer)
        .setAudience('acme-agent')
        .setIssuedAt(T)
        .setExpirationTime(T + 300)
        .sign(idp.key.privateKey),
  },
  {
    id: 'AS-12',
    attack: 'a client assertion signed with the IdP key (typ JWT, aud = this AS)',
    assertion: () =>
      new SignJWT({ client_id: CLIENT_ID, jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: idp.key.kid, typ: 'JWT' })
        .setIssuer(idp.issuer)
        .setSubject(CLIENT_ID)
        .setAudience(as.url)
        .setIssuedAt(T)
        .setExpirationTime(T + 60)
        .sign(idp.key.privateKey),
  },
  {
    id: 'AS-12',
    attack: "the client's own private_key_jwt client assertion presented as the ID-JAG",
    assertion: () =>
      signClientAssertion({ clientId: CLIENT_ID, audience: as.url, now: new Date(T * 1000), key: clientKey }),
  },
  {
    id: 'AS-16',
    attack: 'an access token this AS-shaped issuer signed (at+jwt) presented as the ID-JAG',
    assertion: () =>
      signAccessToken({
        issuer: as.url,
        subject: 'acme|u-1001',
        audience: RESOURCE,
        clientId: CLIENT_ID,
        scope: 'tasks.read',
        expiresInSeconds: 300,
        now: new Date(T * 1000),
        key: attackerKey,
      }),
  },
])

table('aud shapes (AS-17, AS-32)', [
  {
    id: 'AS-17',
    attack: 'an aud array naming our issuer twice',
    assertion: () => mint({ claims: { aud: [as.url, as.url] } }),
  },
  { id: 'AS-17', attack: 'an empty aud array', assertion: () => mint({ claims: { aud: [] } }) },
  { id: 'AS-17', attack: 'no aud', assertion: () => mint({ claims: { aud: undefined } }) },
  {
    id: 'AS-17',
    attack: 'an aud array of two with ours second',
    assertion: () => mint({ claims: { aud: ['http://localhost:1/other-as', as.url] } }),
  },
  {
    id: 'AS-17',
    attack: 'aud = a prefix of our issuer',
    assertion: () => mint({ claims: { aud: as.url.slice(0, -1) } }),
  },
  {
    id: 'AS-17',
    attack: 'aud = our issuer with a suffix (prefix match)',
    assertion: () => mint({ claims: { aud: `${as.url}0` } }),
  },
  {
    id: 'AS-17',
    attack: 'aud = our issuer with a path',
    assertion: () => mint({ claims: { aud: `${as.url}/token` } }),
  },
  {
    id: 'AS-17',
    attack: 'aud = our issuer in upper case',
    assertion: () => mint({ claims: { aud: as.url.toUpperCase() } }),
  },
  {
    id: 'AS-17',
    attack: 'aud = our issuer with 127.0.0.1 for localhost',
    assertion: () => mint({ claims: { aud: as.url.replace('localhost', '127.0.0.1') } }),
  },
  {
    id: 'AS-17',
    attack: 'aud = the MCP server (resource) instead of the AS',
    assertion: () => mint({ claims: { aud: RESOURCE } }),
  },
  { id: 'AS-32', attack: 'aud = the IdP itself', assertion: () => mint({ claims: { aud: idp.issuer } }) },
  {
    id: 'AS-17',
    attack: 'a one-element aud array naming another AS',
    assertion: () => mint({ claims: { aud: ['http://localhost:1/other-as'] } }),
  },
])

table('resource of another server (AS-24, AS-25, ambiguity 6)', [
  {
    id: 'AS-24',
    attack: 'a resource with a trailing slash',
    assertion: () => mint({ claims: { resource: `${RESOURCE}/` } }),
  },
  {
    id: 'AS-24',
    attack: 'a resource in upper case',
    assertion: () => mint({ claims: { resource: RESOURCE.toUpperCase() } }),
  },
  {
    id: 'AS-24',
    attack: 'a resource with a query string',
    assertion: () => mint({ claims: { resource: `${RESOURCE}?tenant=evil` } }),
  },
  {
    id: 'AS-24',
    attack: 'a resource that extends ours (prefix match)',
    assertion: () => mint({ claims: { resource: `${RESOURCE}-admin` } }),
  },
  { id: 'AS-24', attack: 'a resource that is the AS itself', assertion: () => mint({ claims: { resource: as.url } }) },
  { id: 'AS-24', attack: 'an empty resource', assertion: () => mint({ claims: { resource: '' } }) },
  { id: 'AS-24', attack: 'an empty resource array', assertion: () => mint({ claims: { resource: [] } }) },
  {
    id: 'AS-24',
    attack: 'a one-element resource array naming another server',
    assertion: () => mint({ claims: { resource: ['http://localhost:4999/mcp'] } }),
  },
  {
    id: 'AS-24',
    attack: 'a resource parameter with a trailing slash',
    assertion: () => mint(),
    options: { resource: `${RESOURCE}/` },
    error: 'invalid_target',
  },
  {
    id: 'AS-24',
    attack: 'a resource parameter naming the AS',
    assertion: () => mint(),
    options: { resource: 'http://localhost:1/' },
    error: 'invalid_target',
  },
])

table('scope outside registration (AS-26, AS-27)', [
  { id: 'AS-26', attack: 'an ID-JAG scope in upper case', assertion: () => mint({ claims: { scope: 'TASKS.READ' } }) },
  {
    id: 'AS-26',
    attack: 'an ID-JAG scope joined with a tab',
    assertion: () => mint({ claims: { scope: 'tasks.read\ttasks.write' } }),
  },
  {
    id: 'AS-26',
    attack: 'an ID-JAG scope "openid"',
    assertion: () => mint({ claims: { scope: 'openid tasks.read' } }),
  },
  {
    id: 'AS-26',
    attack: 'an ID-JAG wildcard scope "tasks.*"',
    assertion: () => mint({ claims: { scope: 'tasks.*' } }),
  },
  {
    id: 'AS-26',
    attack: 'an ID-JAG scope "offline_access"',
    assertion: () => mint({ claims: { scope: 'tasks.read offline_access' } }),
  },
  {
    id: 'AS-27',
    attack: 'an empty ID-JAG scope',
    assertion: () => mint({ claims: { scope: '' } }),
    error: 'invalid_scope',
  },
  {
    id: 'AS-27',
    attack: 'a requested scope the MCP server does not define',
    assertion: () => mint(),
    options: { scope: 'admin' },
    error: 'invalid_scope',
  },
  {
    id: 'AS-27',
    attack: 'a requested scope in upper case',
    assertion: () => mint(),
    options: { scope: 'TASKS.READ' },
    error: 'invalid_scope',
  },
])

// ---------------------------------------------------------------------------------------------
// Request-level attacks

interface RequestRow extends RefusalRow {
  send: () => Promise<Response>
}

const basic = (id = CLIENT_ID, secret = CLIENT_SECRET) => basicAuthorization(id, secret)
const FORM = 'application/x-www-form-urlencoded'
const post = (fields: FormFields, headers: Record<string, string> = { authorization: basic() }, contentType?: string) =>
  postForm(`${as.url}/token`, fields, headers, contentType)
/** A jwt-bearer grant with a fresh ID-JAG, and further fields. */
const grant = async (fields: FormFields = {}): Promise<FormFields> => ({
  grant_type: GRANT_TYPE.JWT_BEARER,
  assertion: await mint(),
  ...fields,
})
/** A private_key_jwt client assertion of `clientId`, signed with the registered key. */
const clientAssertion = async (clientId: string): Promise<FormFields> => ({
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  client_assertion: await signClientAssertion({ clientId, audience: as.url, now: new Date(), key: clientKey }),
})

// Each row refuses with 400 invalid_request unless it says otherwise.
const requestRows: RequestRow[] = [
  {
    id: 'AS-08',
    attack: 'Basic and client_secret in the body at once (RFC 6749 §2.3)',
    send: async () => post(await grant({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET })),
  },
  {
    id: 'AS-08',
    attack: 'Basic and a private_key_jwt client assertion at once',
    send: async () => post(await grant(await clientAssertion(PKJWT_CLIENT))),
  },
  {
    id: 'AS-08',
    attack: 'client_secret and client_assertion in the body at once',
    send: async () =>
      post(await grant({ client_id: PKJWT_CLIENT, client_secret: 'x', ...(await clientAssertion(PKJWT_CLIENT)) }), {}),
  },
  {
    id: 'AS-08',
    attack: 'a Basic header for one client and client_id of another in the body',
    send: async () => post(await grant({ client_id: PKJWT_CLIENT })),
  },
  {
    id: 'AS-08',
    attack: 'private_key_jwt by a client registered for client_secret_basic',
    status: 401,
    error: 'invalid_client',
    send: async () => post(await grant(await clientAssertion(CLIENT_ID)), {}),
  },
  {
    id: 'AS-08',
    attack: 'client_secret_basic by a client registered for private_key_jwt',
    status: 401,
    error: 'invalid_client',
    send: async () =>
      post(await grant({ assertion: await mint({ claims: { client_id: PKJWT_CLIENT } }) }), {
        authorization: basic(PKJWT_CLIENT, 'guess'),
      }),
  },
  {
    id: 'AS-08',
    attack: 'a Basic header that is not base64',
    send: async () => post(await grant(), { authorization: 'Basic %%%not-base64%%%' }),
  },
  {
    id: 'AS-07',
    attack: 'a JSON body where a form is required',
    send: async () =>
      fetch(`${as.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic() },
        body: JSON.stringify(await grant()),
      }),
  },
  {
    id: 'AS-07',
    attack: 'a form body labelled text/plain',
    send: async () => post(await grant(), { authorization: basic() }, 'text/plain'),
  },
  {
    id: 'AS-07',
    attack: 'a multipart/form-data body',
    send: async () => {
      const form = new FormData()
      form.append('grant_type', GRANT_TYPE.JWT_BEARER)
      form.append('assertion', await mint())
      return fetch(`${as.url}/token`, { method: 'POST', headers: { authorization: basic() }, body: form })
    },
  },
  {
    id: 'AS-07',
    attack: 'a POST with no body at all',
    send: () => fetch(`${as.url}/token`, { method: 'POST', headers: { authorization: basic() } }),
  },
  {
    id: 'AS-07',
    attack: 'the parameters in the query string of an empty POST (SEC-02)',
    send: async () =>
      fetch(`${as.url}/token?${new URLSearchParams(formPairs(await grant())).toString()}`, {
        method: 'POST',
        headers: { 'content-type': FORM, authorization: basic() },
        body: '',
      }),
  },
  {
    id: 'AS-07',
    attack: 'GET instead of POST, parameters in the query',
    status: 405,
    send: async () =>
      fetch(`${as.url}/token?${new URLSearchParams(formPairs(await grant())).toString()}`, {
        headers: { authorization: basic() },
      }),
  },
  {
    id: 'AS-07',
    attack: 'PUT instead of POST',
    status: 405,
    send: async () =>
      fetch(`${as.url}/token`, {
        method: 'PUT',
        headers: { 'content-type': FORM, authorization: basic() },
        body: new URLSearchParams(formPairs(await grant())),
      }),
  },
  { id: 'AS-07', attack: 'a missing grant_type', send: async () => post({ assertion: await mint() }) },
  { id: 'AS-07', attack: 'an empty grant_type', send: async () => post(await grant({ grant_type: '' })) },
  {
    id: 'AS-07',
    attack: 'grant_type twice (same value)',
    send: async () => post(await grant({ grant_type: [GRANT_TYPE.JWT_BEARER, GRANT_TYPE.JWT_BEARER] })),
  },
  {
    id: 'AS-07',
    attack: 'grant_type twice (jwt-bearer and client_credentials)',
    send: async () => post(await grant({ grant_type: [GRANT_TYPE.JWT_BEARER, 'client_credentials'] })),
  },
  {
    id: 'AS-07',
    attack: 'two different assertions',
    send: async () => post(await grant({ assertion: [await mint(), await mint({ claims: { scope: 'tasks.read' } })] })),
  },
  {
    id: 'AS-07',
    attack: 'a good assertion followed by an empty one',
    send: async () => post(await grant({ assertion: [await mint(), ''] })),
  },
  { id: 'AS-07', attack: 'scope twice', send: async () => post(await grant({ scope: ['tasks.read', 'tasks.write'] })) },
  { id: 'AS-07', attack: 'an empty assertion', send: () => post({ grant_type: GRANT_TYPE.JWT_BEARER, assertion: '' }) },
  {
    id: 'AS-07',
    attack: 'an unknown grant_type ("password")',
    error: 'unsupported_grant_type',
    send: () => post({ grant_type: 'password', username: 'alice', password: 'alice-password' }),
  },
  // The AS has a token exchange of its own (OBO): an ID-JAG is no subject token there (OBO-09).
  {
    id: 'AS-07 OBO-09',
    attack: "the IdP's token-exchange grant at the AS (an ID-JAG as subject_token)",
    send: async () =>
      post({
        grant_type: GRANT_TYPE.TOKEN_EXCHANGE,
        subject_token: await mint(),
        subject_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
      }),
  },
  {
    id: 'AS-07',
    attack: 'the jwt-bearer URN in upper case',
    error: 'unsupported_grant_type',
    send: async () => post(await grant({ grant_type: GRANT_TYPE.JWT_BEARER.toUpperCase() })),
  },
  // Decision 0050: the grant exists, for interactive registrations only; an EMA client is not registered for it.
  {
    id: 'AS-07',
    attack: 'the authorization_code grant by an EMA client',
    error: 'unauthorized_client',
    send: () => post({ grant_type: 'authorization_code', code: 'x', redirect_uri: 'http://localhost/cb' }),
  },
]

refusalTable('request-level attacks (AS-07, AS-08, RFC 6749 §2.3, §3.2, §5.2)', requestRows, {
  send: (row) => row.send(),
  status: 400,
  error: 'invalid_request',
  headers: NO_STORE,
})
