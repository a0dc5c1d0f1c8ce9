/**
 * Negative integration suite for the MCP server's bearer-token check (RS-05 … RS-12).
 *
 * Over real HTTP, with the MCP server's clock frozen at `T`. The RFC 8725 catalogue (@ema/test-kit)
 * runs in full against verifyAccessToken in packages/tokens; here one attack per family proves the
 * wiring, and the rest are this endpoint's own rules. Every refusal is pinned by assertOAuthRefusal:
 * the body, `Cache-Control: no-store` and the Bearer challenge. Rows already in bearer-token.test.ts
 * are not repeated.
 */
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { describe, test } from 'node:test'
import {
  jwtAttackWiring,
  jwtForge,
  refusalTable,
  type AttackTarget,
  type ExpectedRefusal,
  type RefusalRow,
} from '@ema/test-kit'
import { generateSigningKey, JWT_TYP, signIdJag, type SigningKey } from '@ema/tokens'
import { SignJWT } from 'jose'
import {
  ALICE,
  CLIENT_ID,
  INITIALIZE,
  postMcp,
  type FakeAuthorizationServer,
  type RunningResourceServer,
  useResourceServer,
} from './support/resource-server.ts'

/** The frozen "now" of the MCP server, in seconds. */
const T = Math.floor(Date.now() / 1000)
const IDP_ISSUER = 'http://localhost:4001'

let as: FakeAuthorizationServer
let rs: RunningResourceServer
let attackerKey: SigningKey
let idpKey: SigningKey

useResourceServer(
  async (suite) => {
    ;({ as, rs } = suite)
    attackerKey = await generateSigningKey('ES256')
    idpKey = await generateSigningKey('ES256')
  },
  {},
  { now: () => new Date(T * 1000) },
)

/** The access token our authorization server issues for alice, at `T`. */
const target = (): AttackTarget => ({
  label: 'access token',
  typ: JWT_TYP.ACCESS_TOKEN,
  key: as.key,
  attackerKey,
  now: T,
  clockSkewSeconds: 30,
  maxLifetimeSeconds: 86_400,
  maxLength: 8192, // the verifyAccessToken defaults
  claims: () => ({
    iss: as.issuer,
    sub: ALICE,
    aud: rs.resource,
    client_id: CLIENT_ID,
    scope: 'tasks.read tasks.write',
    jti: crypto.randomUUID(),
    iat: T,
    exp: T + 600,
  }),
})
const token = (
  craft: { claims?: Record<string, unknown>; header?: Record<string, unknown>; signWith?: SigningKey } = {},
) => jwtForge(target()).sign({ ...craft, ...(craft.signWith === undefined ? {} : { key: craft.signWith }) })

/** Every refusal here: no-store and a Bearer challenge with the error and the RFC 9728 metadata URL (RFC 6750 §3, RS-05). */
const challenge = ({ error }: ExpectedRefusal) => ({
  'cache-control': 'no-store',
  'www-authenticate': new RegExp(
    `^Bearer error="${error}", error_description="[^"]*"(, scope="[^"]*")?, resource_metadata="http://localhost:\\d+/\\.well-known/oauth-protected-resource/mcp"$`,
  ),
})
/** RFC 6750 §3.1: a request without a Bearer token is challenged without an error code. */
const NO_BEARER = {
  'cache-control': 'no-store',
  'www-authenticate': /^Bearer resource_metadata="[^"]+", scope="[^"]*"$/,
}
const presented = (bearer: string) => postMcp(rs.resource, INITIALIZE, { authorization: `Bearer ${bearer}` })

jwtAttackWiring('the RFC 8725 catalogue at /mcp', {
  kind: { typ: JWT_TYP.ACCESS_TOKEN },
  ids: {
    alg: 'RS-10',
    kid: 'RS-10',
    signature: 'RS-10',
    'key-headers': 'RS-10',
    crit: 'RS-10',
    shape: 'RS-08',
    size: 'RS-10',
    nesting: 'RS-10',
    duplicates: 'RS-10',
    'claim-types': 'RS-10',
    exp: 'RS-10',
    iat: 'RS-10',
    nbf: 'RS-10',
    lifetime: 'RS-10',
    iss: 'RS-11',
    typ: 'RS-11',
  },
  target,
  send: presented,
  status: 401,
  error: 'invalid_token',
  headers: challenge,
})

test('RS-09 accepts an aud array that includes this resource (RFC 9068 §4)', async () => {
  const res = await presented(await token({ claims: { aud: ['http://localhost:1/other-mcp', rs.resource] } }))
  assert.equal(res.status, 200, await res.text())
})

// ---------------------------------------------------------------------------------------------
// This endpoint's own rules for the token

interface TokenRow extends RefusalRow {
  token: () => Promise<string> | string
}

const table = (name: string, rows: TokenRow[]) =>
  refusalTable(name, rows, {
    send: async (row) => presented(await row.token()),
    status: 401,
    error: 'invalid_token',
    headers: challenge,
  })

table("the access token's own claims (RS-10, RFC 9068 §2.2)", [
  { id: 'RS-10', attack: 'a number sub', token: () => token({ claims: { sub: 1001 } }) },
  { id: 'RS-10', attack: 'an object scope', token: () => token({ claims: { scope: { 'tasks.read': true } } }) },
  { id: 'RS-10', attack: 'an array scope', token: () => token({ claims: { scope: ['tasks.read', 'tasks.write'] } }) },
  { id: 'RS-10', attack: 'a number client_id', token: () => token({ claims: { client_id: 42 } }) },
  { id: 'RS-10', attack: 'no jti', token: () => token({ claims: { jti: undefined } }) },
  { id: 'RS-10', attack: 'no sub', token: () => token({ claims: { sub: undefined } }) },
  { id: 'RS-10', attack: 'no client_id', token: () => token({ claims: { client_id: undefined } }) },
])

table('other tokens presented as an access token: token passthrough (RS-11, RFC 8725 §3.12)', [
  {
    id: 'RS-11',
    attack: 'an IdP ID token (iss = IdP, aud = the client, no typ)',
    token: () =>
      new SignJWT({ sub: 'u-1001', nonce: 'n', auth_time: T })
        .setProtectedHeader({ alg: 'ES256', kid: idpKey.kid })
        .setIssuer(IDP_ISSUER)
        .setAudience('acme-agent')
        .setIssuedAt(T)
        .setExpirationTime(T + 600)
        .sign(idpKey.privateKey),
  },
  {
    id: 'RS-11',
    attack: 'an IdP ID token whose aud is this MCP server',
    token: () =>
      new SignJWT({ sub: 'u-1001', client_id: CLIENT_ID, jti: 'j', scope: 'tasks.read' })
        .setProtectedHeader({ alg: 'ES256', kid: idpKey.kid })
        .setIssuer(IDP_ISSUER)
        .setAudience(rs.resource)
        .setIssuedAt(T)
        .setExpirationTime(T + 600)
        .sign(idpKey.privateKey),
  },
  {
    id: 'RS-11',
    attack: 'an ID-JAG from the IdP (aud = the AS)',
    token: () =>
      signIdJag({
        issuer: IDP_ISSUER,
        audience: as.issuer,
        subject: 'u-1001',
        clientId: CLIENT_ID,
        resource: rs.resource,
        scope: 'tasks.read',
        now: new Date(T * 1000),
        key: idpKey,
      }),
  },
  {
    id: 'RS-11',
    attack: 'an ID-JAG from the IdP whose aud is this MCP server',
    token: () =>
      signIdJag({
        issuer: IDP_ISSUER,
        audience: rs.resource,
        subject: 'u-1001',
        clientId: CLIENT_ID,
        resource: rs.resource,
        scope: 'tasks.read',
        now: new Date(T * 1000),
        key: idpKey,
      }),
  },
  {
    id: 'RS-11',
    attack: 'an at+jwt from the IdP (another issuer) for this MCP server',
    token: () => token({ claims: { iss: IDP_ISSUER }, signWith: idpKey, header: { kid: idpKey.kid } }),
  },
])

table('aud shapes (RS-09, AS-37)', [
  { id: 'RS-09', attack: 'an empty aud array', token: () => token({ claims: { aud: [] } }) },
  { id: 'RS-09', attack: 'no aud', token: () => token({ claims: { aud: undefined } }) },
  { id: 'RS-09', attack: 'aud with a trailing slash', token: () => token({ claims: { aud: `${rs.resource}/` } }) },
  {
    id: 'RS-09',
    attack: 'aud that is a prefix of this resource',
    token: () => token({ claims: { aud: rs.resource.slice(0, -1) } }),
  },
  {
    id: 'RS-09',
    attack: 'aud that extends this resource (prefix match)',
    token: () => token({ claims: { aud: `${rs.resource}-admin` } }),
  },
  {
    id: 'RS-09',
    attack: 'aud = the server origin without the /mcp path',
    token: () => token({ claims: { aud: rs.url } }),
  },
  { id: 'RS-09', attack: 'aud in upper case', token: () => token({ claims: { aud: rs.resource.toUpperCase() } }) },
  { id: 'RS-09', attack: 'aud = the authorization server', token: () => token({ claims: { aud: as.issuer } }) },
  {
    id: 'RS-09',
    attack: 'an aud array of two other resources',
    token: () => token({ claims: { aud: ['http://localhost:1/a', 'http://localhost:1/b'] } }),
  },
  { id: 'RS-09', attack: 'an object aud', token: () => token({ claims: { aud: { resource: rs.resource } } }) },
])

// ---------------------------------------------------------------------------------------------
// How the token is presented (RS-05, RS-08, RS-12)

/** A raw HTTP/1.1 request through node:http, so that a header can be sent twice. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: string,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, rs.url)
    const req = httpRequest(
      url,
      {
        method,
        headers: {
          accept: 'application/json, text/event-stream',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve(
            new Response(Buffer.concat(chunks), {
              status: res.statusCode,
              headers: Object.entries(res.headers).map(([name, value]) => [name, String(value)]),
            }),
          ),
        )
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

interface PresentationRow extends RefusalRow {
  send: () => Promise<Response>
}

const body = JSON.stringify(INITIALIZE)
/** An initialize request to /mcp with these Authorization headers (an array: the header sent several times). */
const withAuthorization = (authorization: string | string[]) => raw('POST', '/mcp', { authorization }, body)
// Each row refuses with 400 invalid_request unless it says otherwise.
const presentationRows: PresentationRow[] = [
  {
    id: 'RS-08',
    attack: 'two Authorization headers, both the same valid token',
    send: async () => {
      const t = await token()
      return withAuthorization([`Bearer ${t}`, `Bearer ${t}`])
    },
  },
  {
    id: 'RS-08',
    attack: 'two Authorization headers, a valid token first and garbage second',
    send: async () => withAuthorization([`Bearer ${await token()}`, 'Bearer garbage']),
  },
  {
    id: 'RS-08',
    attack: "two Authorization headers, another user's token second",
    send: async () =>
      withAuthorization([`Bearer ${await token()}`, `Bearer ${await token({ claims: { sub: 'u-1002' } })}`]),
  },
  {
    id: 'RS-08',
    attack: 'a Basic header and a Bearer header at once',
    send: async () => withAuthorization(['Basic YWxpY2U6cHc=', `Bearer ${await token()}`]),
  },
  {
    id: 'RS-08',
    attack: 'two Bearer credentials in one header ("Bearer a, Bearer b")',
    send: async () => {
      const t = await token()
      return withAuthorization(`Bearer ${t}, Bearer ${t}`)
    },
  },
  { id: 'RS-08', attack: '"Bearer" with no token', send: () => withAuthorization('Bearer') },
  {
    id: 'RS-08',
    attack: '"Bearer" and the token separated by a tab',
    send: async () => withAuthorization(`Bearer\t${await token()}`),
  },
  {
    id: 'RS-08',
    attack: 'a token followed by another word',
    send: async () => withAuthorization(`Bearer ${await token()} extra`),
  },
  { id: 'RS-08', attack: 'a quoted token', send: async () => withAuthorization(`Bearer "${await token()}"`) },
  {
    id: 'RS-05',
    attack: 'the token under another scheme ("Token <jwt>")',
    status: 401,
    error: 'invalid_token',
    headers: NO_BEARER,
    send: async () => withAuthorization(`Token ${await token()}`),
  },
  {
    id: 'RS-05',
    attack: 'the scheme glued to the token ("Bearer<jwt>")',
    status: 401,
    error: 'invalid_token',
    headers: NO_BEARER,
    send: async () => withAuthorization(`Bearer${await token()}`),
  },
  {
    id: 'RS-05',
    attack: 'the token with no scheme at all',
    status: 401,
    error: 'invalid_token',
    headers: NO_BEARER,
    send: async () => withAuthorization(await token()),
  },
  {
    id: 'RS-12',
    attack: 'a query-string token on GET (SSE stream)',
    send: async () => raw('GET', `/mcp?access_token=${await token()}`, {}),
  },
  {
    id: 'RS-12',
    attack: 'a query-string token on DELETE',
    send: async () => raw('DELETE', `/mcp?access_token=${await token()}`, { 'mcp-session-id': 'x' }),
  },
  {
    id: 'RS-12',
    attack: 'an empty access_token query parameter next to a valid header',
    send: async () => raw('POST', '/mcp?access_token=', { authorization: `Bearer ${await token()}` }, body),
  },
  {
    id: 'RS-12',
    attack: 'a query-string token twice',
    send: async () => {
      const t = await token()
      return raw('POST', `/mcp?access_token=${t}&access_token=${t}`, {}, body)
    },
  },
]

refusalTable('how the token is presented (RS-05, RS-08, RS-12, RFC 6750 §2)', presentationRows, {
  send: (row) => row.send(),
  status: 400,
  error: 'invalid_request',
  headers: challenge,
})

describe('how the token is presented, accepted (RS-08)', () => {
  // RFC 6750 §2.1 (`"Bearer" 1*SP b64token`) and RFC 9110 §11.1 (the scheme is case-insensitive): these are valid.
  for (const [title, header] of [
    ['RS-08 accepts a lower-case "bearer" scheme (RFC 9110 §11.1)', (t: string) => `bearer ${t}`],
    ['RS-08 accepts "Bearer" followed by two spaces (RFC 6750 §2.1: 1*SP)', (t: string) => `Bearer  ${t}`],
  ] as const) {
    test(title, async () => {
      const res = await withAuthorization(header(await token()))
      assert.equal(res.status, 200, await res.text())
    })
  }
})
