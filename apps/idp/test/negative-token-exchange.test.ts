/**
 * Negative integration suite for the IdP's token endpoint (RFC 8693 token exchange, ID token → ID-JAG).
 *
 * Over real HTTP, with the token exchange's clock frozen at `T`. The RFC 8725 catalogue
 * (@ema/test-kit) runs in full against verifyIdToken in packages/tokens; here one attack per family
 * proves the wiring, and the rest are this endpoint's own rules. Every refusal is pinned by
 * assertOAuthRefusal, `Cache-Control: no-store` included (IDP-51). Rows already in
 * token-exchange.test.ts are not repeated.
 */
import { basicAuthorization } from '@ema/demo-kit'
import {
  formPairs,
  jwtAttackWiring,
  jwtForge,
  postForm,
  refusalTable,
  type AttackTarget,
  type FormFields,
  type RefusalRow,
} from '@ema/test-kit'
import {
  generateSigningKey,
  GRANT_TYPE,
  JWT_TYP,
  signAccessToken,
  signClientAssertion,
  signIdJag,
  TOKEN_TYPE,
  type SigningKey,
} from '@ema/tokens'
import {
  ACME_AGENT,
  AS_ISSUER,
  RS_RESOURCE,
  postExchange,
  type ExchangeParams,
  type TestIdp,
  useIdp,
  idTokenOf,
} from './support/idp.ts'

/** The frozen "now" of the token exchange, in seconds. */
const T = Math.floor(Date.now() / 1000)
const CLIENT = ACME_AGENT.clientId
const NO_STORE = { 'cache-control': 'no-store' }

let idp: TestIdp
let aliceIdToken: string
let bobIdToken: string
let attackerKey: SigningKey

useIdp(
  async (started) => {
    idp = started
    attackerKey = await generateSigningKey('ES256')
    aliceIdToken = await idTokenOf(idp, 'alice')
    bobIdToken = await idTokenOf(idp, 'bob')
  },
  { now: () => new Date(T * 1000) },
)

/** Alice's ID token as this IdP would issue it to acme-agent, at `T`. */
const target = (): AttackTarget => ({
  label: 'subject token',
  typ: JWT_TYP.CLIENT_ASSERTION,
  typMayBeAbsent: true,
  key: idp.signingKey,
  attackerKey,
  now: T,
  clockSkewSeconds: 30,
  maxLifetimeSeconds: 3600,
  maxLength: 8192, // the IdP's clockSkewSeconds, ID_TOKEN_LIFETIME_SECONDS
  claims: () => ({
    iss: idp.config.issuer,
    sub: 'u-1001',
    aud: CLIENT,
    iat: T,
    exp: T + 600,
    auth_time: T,
    amr: ['pwd'],
  }),
})
const subjectToken = (craft: { claims?: Record<string, unknown> } = {}) => jwtForge(target()).sign(craft)

jwtAttackWiring('subject token: the RFC 8725 catalogue', {
  kind: { typ: JWT_TYP.CLIENT_ASSERTION, typMayBeAbsent: true },
  ids: 'IDP-05',
  target,
  send: (subject) => postExchange(idp, { subject_token: subject }),
  status: 400,
  error: 'invalid_grant',
  headers: NO_STORE,
})

// ---------------------------------------------------------------------------------------------
// This endpoint's own rules

interface Row extends RefusalRow {
  /** The subject token; default alice's real ID token. */
  subject?: () => Promise<string> | string
  /** Further parameters; `undefined` removes a default one. A function is called when the row runs. */
  params?: ExchangeParams | (() => ExchangeParams)
}

/** A table whose rows are refused with `error` unless they name their own. */
const tableOf =
  (error: string) =>
  (name: string, rows: Row[]): void =>
    refusalTable(name, rows, {
      send: async (row) =>
        postExchange(idp, {
          subject_token: row.subject === undefined ? aliceIdToken : await row.subject(),
          ...(typeof row.params === 'function' ? row.params() : row.params),
        }),
      status: 400,
      error,
      headers: NO_STORE,
    })
const table = tableOf('invalid_grant')

const subjectRow = (id: string, attack: string, subject: () => Promise<string> | string): Row => ({
  id,
  attack,
  subject,
})

table('subject token: sub and aud (IDP-05, IDP-06)', [
  subjectRow('IDP-05', 'a number sub', () => subjectToken({ claims: { sub: 1001 } })),
  subjectRow('IDP-05', 'no sub', () => subjectToken({ claims: { sub: undefined } })),
  subjectRow('IDP-05', 'a sub this IdP does not know', () => subjectToken({ claims: { sub: 'u-9999' } })),
  subjectRow('IDP-06', 'no aud', () => subjectToken({ claims: { aud: undefined } })),
  subjectRow('IDP-06', 'an empty aud array', () => subjectToken({ claims: { aud: [] } })),
  subjectRow('IDP-06', 'an aud array naming the client and another', () =>
    subjectToken({ claims: { aud: [CLIENT, 'other-app'] } }),
  ),
  subjectRow('IDP-06', 'an aud array naming the client twice', () =>
    subjectToken({ claims: { aud: [CLIENT, CLIENT] } }),
  ),
  subjectRow('IDP-06', 'an object aud', () => subjectToken({ claims: { aud: { client_id: CLIENT } } })),
  subjectRow('IDP-06', 'the client id in upper case', () => subjectToken({ claims: { aud: CLIENT.toUpperCase() } })),
  subjectRow('IDP-06', 'the client id with a trailing space', () => subjectToken({ claims: { aud: `${CLIENT} ` } })),
  subjectRow('IDP-06', 'aud = the MCP authorization server', () => subjectToken({ claims: { aud: AS_ISSUER } })),
  subjectRow('IDP-06', "aud = the client's id at the AS (acme-agent-tasks)", () =>
    subjectToken({ claims: { aud: 'acme-agent-tasks' } }),
  ),
])

table('subject token: other tokens of this system (IDP-05, IDP-26, RFC 8725 §3.12)', [
  subjectRow('IDP-26', 'an ID-JAG this IdP signed, aud = the client, presented as the subject', () =>
    signIdJag({
      issuer: idp.config.issuer,
      audience: CLIENT,
      subject: 'u-1001',
      clientId: CLIENT,
      resource: RS_RESOURCE,
      now: new Date(T * 1000),
      key: idp.signingKey,
    }),
  ),
  subjectRow('IDP-05', 'an RFC 9068 access token signed with the IdP key, aud = the client', () =>
    signAccessToken({
      issuer: idp.config.issuer,
      subject: 'u-1001',
      audience: CLIENT,
      clientId: CLIENT,
      scope: 'openid',
      expiresInSeconds: 600,
      now: new Date(T * 1000),
      key: idp.signingKey,
    }),
  ),
  subjectRow('IDP-05', "the client's own private_key_jwt client assertion", () =>
    signClientAssertion({ clientId: CLIENT, audience: idp.url, now: new Date(T * 1000), key: attackerKey }),
  ),
])

// ---------------------------------------------------------------------------------------------
// The request parameters (IDP-03, IDP-04, IDP-12, IDP-14 … IDP-16, RFC 8693 §2.1)

tableOf('invalid_target')('audience / resource pairing (IDP-03, IDP-14, IDP-54)', [
  { id: 'IDP-03', attack: 'an audience with a trailing slash', params: { audience: `${AS_ISSUER}/` } },
  { id: 'IDP-03', attack: 'an audience in upper case', params: { audience: AS_ISSUER.toUpperCase() } },
  {
    id: 'IDP-03',
    attack: 'an audience that extends the AS issuer (prefix match)',
    params: { audience: `${AS_ISSUER}0` },
  },
  {
    id: 'IDP-03',
    attack: 'an audience that is a prefix of the AS issuer',
    params: { audience: AS_ISSUER.slice(0, -1) },
  },
  { id: 'IDP-14', attack: 'audience = the MCP server (resource) instead of its AS', params: { audience: RS_RESOURCE } },
  { id: 'IDP-26', attack: 'audience = this IdP itself', params: () => ({ audience: idp.url }) },
  { id: 'IDP-14', attack: 'resource = the AS issuer', params: { resource: AS_ISSUER } },
  { id: 'IDP-14', attack: 'a resource with a trailing slash', params: { resource: `${RS_RESOURCE}/` } },
  { id: 'IDP-14', attack: 'a resource in upper case', params: { resource: RS_RESOURCE.toUpperCase() } },
  {
    id: 'IDP-14',
    attack: 'a resource that extends the MCP server (prefix match)',
    params: { resource: `${RS_RESOURCE}-admin` },
  },
  { id: 'IDP-14', attack: 'a resource with a fragment', params: { resource: `${RS_RESOURCE}#x` } },
  {
    id: 'IDP-14',
    attack: 'an unknown audience with the right resource',
    params: { audience: 'http://localhost:1/other-as' },
  },
  {
    id: 'IDP-03',
    attack: 'an empty audience (treated as omitted, RFC 6749 §3.1)',
    params: { audience: '' },
    error: 'invalid_request',
  },
])

tableOf('invalid_request')('missing and unsupported parameters (IDP-04, IDP-12, IDP-29, RFC 8693 §2.1)', [
  { id: 'IDP-29', attack: 'no requested_token_type', params: { requested_token_type: undefined } },
  { id: 'IDP-29', attack: 'requested_token_type id_token', params: { requested_token_type: TOKEN_TYPE.ID_TOKEN } },
  {
    id: 'IDP-29',
    attack: 'requested_token_type refresh_token',
    params: { requested_token_type: TOKEN_TYPE.REFRESH_TOKEN },
  },
  {
    id: 'IDP-29',
    attack: 'requested_token_type jwt',
    params: { requested_token_type: 'urn:ietf:params:oauth:token-type:jwt' },
  },
  {
    id: 'IDP-29',
    attack: 'requested_token_type id-jag in upper case',
    params: { requested_token_type: TOKEN_TYPE.ID_JAG.toUpperCase() },
  },
  { id: 'IDP-04', attack: 'no subject_token_type', params: { subject_token_type: undefined } },
  { id: 'IDP-04', attack: 'subject_token_type access_token', params: { subject_token_type: TOKEN_TYPE.ACCESS_TOKEN } },
  {
    id: 'IDP-07',
    attack: 'an ID token presented as subject_token_type refresh_token',
    params: { subject_token_type: TOKEN_TYPE.REFRESH_TOKEN },
    error: 'invalid_grant',
  },
  { id: 'IDP-04', attack: 'subject_token_type id-jag', params: { subject_token_type: TOKEN_TYPE.ID_JAG } },
  {
    id: 'IDP-04',
    attack: 'subject_token_type jwt',
    params: { subject_token_type: 'urn:ietf:params:oauth:token-type:jwt' },
  },
  { id: 'IDP-04', attack: 'subject_token_type "id_token" without the URN', params: { subject_token_type: 'id_token' } },
  { id: 'IDP-05', attack: 'an empty subject_token', subject: () => '' },
  { id: 'IDP-12', attack: 'an actor_token without actor_token_type', params: { actor_token: 'x.y.z' } },
  {
    id: 'IDP-12',
    attack: 'an actor_token_type without actor_token',
    params: { actor_token_type: TOKEN_TYPE.ID_TOKEN },
  },
  {
    id: 'IDP-12',
    attack: "bob's ID token as actor_token, with actor_token_type",
    params: () => ({ actor_token: bobIdToken, actor_token_type: TOKEN_TYPE.ID_TOKEN }),
  },
])

tableOf('invalid_scope')('scope games (IDP-16, IDP-17, IDP-55)', [
  { id: 'IDP-16', attack: 'scope "openid" only', params: { scope: 'openid' } },
  { id: 'IDP-16', attack: 'scope in upper case', params: { scope: 'TASKS.READ' } },
  { id: 'IDP-16', attack: 'a wildcard scope', params: { scope: 'tasks.*' } },
  { id: 'IDP-16', attack: 'a prefix of a scope ("tasks")', params: { scope: 'tasks' } },
  { id: 'IDP-16', attack: 'scopes joined by a tab', params: { scope: 'tasks.read\ttasks.write' } },
  { id: 'IDP-16', attack: 'scope "offline_access"', params: { scope: 'offline_access' } },
  {
    id: 'IDP-17',
    attack: 'bob asking for tasks.write plus an undefined scope',
    subject: () => bobIdToken,
    params: { scope: 'tasks.write tasks.admin' },
    error: 'access_denied',
  },
])

// ---------------------------------------------------------------------------------------------
// Request-level attacks

const basic = (id = CLIENT, secret = 'acme-agent-idp-secret') => basicAuthorization(id, secret)
const FORM = 'application/x-www-form-urlencoded'
const post = (fields: FormFields, headers: Record<string, string> = { authorization: basic() }, contentType?: string) =>
  postForm(`${idp.url}/token`, fields, headers, contentType)

/** Alice's valid token exchange, and further fields (an array: the parameter repeated; empty: left out). */
const exchange = (fields: FormFields = {}): FormFields => ({
  grant_type: GRANT_TYPE.TOKEN_EXCHANGE,
  requested_token_type: TOKEN_TYPE.ID_JAG,
  subject_token_type: TOKEN_TYPE.ID_TOKEN,
  subject_token: aliceIdToken,
  audience: AS_ISSUER,
  resource: RS_RESOURCE,
  ...fields,
})
/** A private_key_jwt client assertion of `clientId`, signed with a key nobody registered. */
const clientAssertion = async (clientId: string): Promise<FormFields> => ({
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  client_assertion: await signClientAssertion({ clientId, audience: idp.url, now: new Date(), key: attackerKey }),
})

interface RequestRow extends RefusalRow {
  send: () => Promise<Response>
}

// Each row refuses with 400 invalid_request unless it says otherwise.
const requestRows: RequestRow[] = [
  {
    id: 'IDP-09',
    attack: 'Basic and client_secret in the body at once (RFC 6749 §2.3)',
    send: () => post(exchange({ client_id: CLIENT, client_secret: 'acme-agent-idp-secret' })),
  },
  {
    id: 'IDP-09',
    attack: 'Basic and a client assertion at once',
    send: async () => post(exchange(await clientAssertion(CLIENT))),
  },
  {
    id: 'IDP-09',
    attack: 'a Basic header for acme-agent and client_id other-app in the body',
    send: () => post(exchange({ client_id: 'other-app' })),
  },
  {
    id: 'IDP-09',
    attack: 'a private_key_jwt assertion signed with a key the client never registered',
    status: 401,
    error: 'invalid_client',
    send: async () => post(exchange({ client_id: 'jwt-client', ...(await clientAssertion('jwt-client')) }), {}),
  },
  {
    id: 'IDP-51',
    attack: 'a JSON body where a form is required',
    send: () =>
      fetch(`${idp.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic() },
        body: JSON.stringify(exchange()),
      }),
  },
  {
    id: 'IDP-51',
    attack: 'a form body labelled text/plain',
    send: () => post(exchange(), { authorization: basic() }, 'text/plain'),
  },
  {
    id: 'IDP-51',
    attack: 'a POST with no body',
    send: () => fetch(`${idp.url}/token`, { method: 'POST', headers: { authorization: basic() } }),
  },
  {
    id: 'SEC-02',
    attack: 'the parameters (and the ID token) in the query string of an empty POST',
    send: () =>
      fetch(`${idp.url}/token?${new URLSearchParams(formPairs(exchange())).toString()}`, {
        method: 'POST',
        headers: { 'content-type': FORM, authorization: basic() },
        body: '',
      }),
  },
  { id: 'IDP-51', attack: 'a missing grant_type', send: () => post(exchange({ grant_type: [] })) },
  {
    id: 'IDP-51',
    attack: 'grant_type twice',
    send: () => post(exchange({ grant_type: [GRANT_TYPE.TOKEN_EXCHANGE, GRANT_TYPE.TOKEN_EXCHANGE] })),
  },
  {
    id: 'IDP-51',
    attack: 'subject_token twice (alice and bob)',
    send: () => post(exchange({ subject_token: [aliceIdToken, bobIdToken] })),
  },
  {
    id: 'IDP-51',
    attack: 'audience twice',
    send: () => post(exchange({ audience: [AS_ISSUER, 'http://localhost:1/other-as'] })),
  },
  {
    id: 'IDP-15',
    attack: 'resource twice',
    send: () => post(exchange({ resource: [RS_RESOURCE, 'http://localhost:1/other-mcp'] })),
  },
  { id: 'IDP-16', attack: 'scope twice', send: () => post(exchange({ scope: ['tasks.read', 'tasks.write'] })) },
  {
    id: 'IDP-29',
    attack: 'requested_token_type twice',
    send: () => post(exchange({ requested_token_type: [TOKEN_TYPE.ID_JAG, TOKEN_TYPE.ACCESS_TOKEN] })),
  },
  {
    id: 'IDP-51',
    attack: 'an unknown grant_type ("password")',
    error: 'unsupported_grant_type',
    send: () => post({ grant_type: 'password', username: 'alice', password: 'alice-password' }),
  },
  {
    id: 'IDP-26',
    attack: 'the jwt-bearer grant with an ID-JAG at the IdP',
    error: 'unsupported_grant_type',
    send: () => post({ grant_type: GRANT_TYPE.JWT_BEARER, assertion: aliceIdToken }),
  },
  {
    id: 'IDP-51',
    attack: 'the token-exchange URN in upper case',
    error: 'unsupported_grant_type',
    send: () => post(exchange({ grant_type: GRANT_TYPE.TOKEN_EXCHANGE.toUpperCase() })),
  },
]

refusalTable('request-level attacks (IDP-09, IDP-51, RFC 6749 §2.3, §3.2, §5.2)', requestRows, {
  send: (row) => row.send(),
  status: 400,
  error: 'invalid_request',
  headers: NO_STORE,
})
