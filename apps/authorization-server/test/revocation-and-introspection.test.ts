import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { generateSigningKey } from '@ema/tokens'
import { createAuditLog, type AuditLog } from '@ema/server-kit'
import {
  AGENT,
  MCP_CLIENT,
  MCP_SERVER,
  OTHER_CLIENT,
  exchange,
  mintSubjectToken,
  startOboAs,
  type OboAs,
} from './support/on-behalf-of.ts'

/** SEC-09, RFC 7009, RFC 7662, decision 0060: revocation and introspection of this server's access tokens. */

type Credentials = { id: string; secret: string } | undefined

async function post(as: OboAs, path: string, token: string, client: Credentials): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }
  if (client !== undefined)
    headers['authorization'] = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`
  return fetch(`${as.url}${path}`, { method: 'POST', headers, body: new URLSearchParams({ token }) })
}

const revoke = (as: OboAs, token: string, client: Credentials = AGENT) => post(as, '/revoke', token, client)

async function introspect(
  as: OboAs,
  token: string,
  client: Credentials = MCP_CLIENT,
): Promise<Record<string, unknown>> {
  const response = await post(as, '/introspect', token, client)
  assert.equal(response.status, 200)
  assert.equal(response.headers.get('cache-control'), 'no-store')
  return (await response.json()) as Record<string, unknown>
}

describe('revocation (RFC 7009) and introspection (RFC 7662) of our access tokens', () => {
  let as: OboAs
  let audit: AuditLog
  before(async () => {
    audit = createAuditLog({ role: 'authorization-server', destination: { kind: 'stdout' }, write: () => {} })
    as = await startOboAs({ audit })
  })
  after(() => as.close())

  test('the metadata advertises both endpoints and their client authentication methods', async () => {
    const metadata = (await (await fetch(`${as.url}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >
    assert.equal(metadata['revocation_endpoint'], `${as.url}/revoke`)
    assert.equal(metadata['introspection_endpoint'], `${as.url}/introspect`)
    assert.ok((metadata['revocation_endpoint_auth_methods_supported'] as string[]).includes('client_secret_basic'))
    assert.ok((metadata['introspection_endpoint_auth_methods_supported'] as string[]).includes('private_key_jwt'))
    assert.ok(!(metadata['introspection_endpoint_auth_methods_supported'] as string[]).includes('none'))
  })

  test('SEC-09 the resource server introspects a valid token: active, with its claims', async () => {
    const token = await mintSubjectToken(as)
    const answer = await introspect(as, token)
    assert.equal(answer['active'], true)
    assert.equal(answer['client_id'], AGENT.id)
    assert.equal(answer['sub'], 'acme|u-1001')
    assert.equal(answer['aud'], MCP_SERVER)
    assert.equal(answer['iss'], as.url)
    assert.equal(answer['scope'], 'tasks.read tasks.write')
    assert.equal(answer['token_type'], 'Bearer')
    assert.equal(typeof answer['jti'], 'string')
    assert.equal(typeof answer['exp'], 'number')
    assert.equal(typeof answer['iat'], 'number')
  })

  test('SEC-09 revoke, then introspect: inactive', async () => {
    const token = await mintSubjectToken(as)
    const response = await revoke(as, token)
    assert.equal(response.status, 200)
    assert.equal(await response.text(), '')
    assert.deepEqual(await introspect(as, token), { active: false })
    assert.equal((await revoke(as, token)).status, 200, 'revoking again is a 200 too')
    assert.ok(as.logs.some((line) => line.includes('access token revoked')))
    assert.ok(!as.logs.some((line) => line.includes(token)), 'the token is never logged')
    const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string }
    const event = (await audit.recent()).find(
      (candidate) => candidate.event === 'revocation' && candidate.jti === jti.jti,
    )
    assert.equal(event?.decision, 'granted')
    assert.equal(event?.['client_id'], AGENT.id)
    assert.ok(!JSON.stringify(await audit.recent()).includes(token), 'nor written to the audit trail')
  })

  test('a revoked token can no longer be exchanged on behalf of its user (400 invalid_request)', async () => {
    const token = await mintSubjectToken(as)
    assert.equal((await exchange(as, token)).status, 200)
    await revoke(as, token)
    const refused = await exchange(as, token)
    assert.equal(refused.status, 400)
    const body = (await refused.json()) as { error: string; error_description: string }
    assert.equal(body.error, 'invalid_request')
    assert.match(body.error_description, /it was revoked/)
  })

  test('revocation by another client: 200 without effect (RFC 7009 §2.1, §2.2)', async () => {
    const token = await mintSubjectToken(as)
    for (const client of [MCP_CLIENT, OTHER_CLIENT]) {
      const response = await revoke(as, token, client)
      assert.equal(response.status, 200)
    }
    assert.equal((await introspect(as, token))['active'], true)
    const refused = (await audit.recent()).filter(
      (event) => event.event === 'revocation' && event.decision === 'refused',
    )
    assert.ok(refused.some((event) => event['client_id'] === OTHER_CLIENT.id))
  })

  test('no client authentication: 401 invalid_client at both endpoints', async () => {
    const token = await mintSubjectToken(as)
    for (const path of ['/revoke', '/introspect']) {
      const response = await post(as, path, token, undefined)
      assert.equal(response.status, 401, path)
      const body = (await response.json()) as { error: string; error_description: string }
      assert.equal(body.error, 'invalid_client')
      assert.match(body.error_description, /client authentication is required/)
    }
    assert.equal((await introspect(as, token))['active'], true, 'nothing was revoked')
  })

  test('a wrong client secret: 401 invalid_client at both endpoints', async () => {
    const token = await mintSubjectToken(as)
    for (const path of ['/revoke', '/introspect']) {
      const response = await post(as, path, token, { id: AGENT.id, secret: 'wrong' })
      assert.equal(response.status, 401, path)
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_client')
    }
    assert.equal((await introspect(as, token))['active'], true)
  })

  test('a client that is not a resource server may not introspect: 401 invalid_client', async () => {
    const response = await post(as, '/introspect', await mintSubjectToken(as), AGENT)
    assert.equal(response.status, 401)
    const body = (await response.json()) as { error: string; error_description: string }
    assert.equal(body.error, 'invalid_client')
    assert.match(body.error_description, /resource_server_identifier/)
  })

  test("another resource server's introspection of a token not for it: active false", async () => {
    assert.deepEqual(await introspect(as, await mintSubjectToken(as), OTHER_CLIENT), { active: false })
  })

  test('malformed, foreign, expired tokens: 200 at /revoke, active false at /introspect', async () => {
    const now = Math.floor(Date.now() / 1000)
    const tokens = [
      'not-a-token',
      'a.b.c',
      await mintSubjectToken(as, { signWith: await generateSigningKey('ES256') }),
      await mintSubjectToken(as, { claims: { iss: 'https://elsewhere.example' } }),
      await mintSubjectToken(as, { claims: { aud: 'https://unknown.example/mcp' } }),
      await mintSubjectToken(as, { header: { typ: 'JWT' } }),
      await mintSubjectToken(as, { claims: { iat: now - 1200, exp: now - 600 } }),
    ]
    for (const token of tokens) {
      assert.equal((await revoke(as, token)).status, 200)
      assert.deepEqual(await introspect(as, token), { active: false })
    }
  })

  test('a missing token parameter: 400 invalid_request', async () => {
    const response = await fetch(`${as.url}/revoke`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${AGENT.id}:${AGENT.secret}`).toString('base64')}`,
      },
      body: '',
    })
    assert.equal(response.status, 400)
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_request')
  })
})
