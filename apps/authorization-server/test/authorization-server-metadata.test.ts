import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GRANT_PROFILE, GRANT_TYPE, WELL_KNOWN } from '@ema/tokens'
import { type TestAs, type TestIdp, useJwtBearer } from './support/jwt-bearer.ts'

let idp: TestIdp
let as: TestAs
useJwtBearer((suite) => ({ idp, as } = suite))

async function metadata(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(as.url + path)
  assert.equal(res.status, 200)
  return (await res.json()) as Record<string, unknown>
}

test('AS-01 publishes RFC 8414 metadata whose issuer is exactly the configured issuer', async () => {
  const doc = await metadata(WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER)
  assert.equal(doc.issuer, as.url)
  assert.equal(doc.token_endpoint, `${as.url}/token`)
  assert.equal(doc.jwks_uri, `${as.url}/jwks`)
  // `none`: public interactive clients (authorization code + PKCE, SEC-14, decision 0050); refused by jwt-bearer and token exchange.
  assert.deepEqual(doc.token_endpoint_auth_methods_supported, [
    'client_secret_basic',
    'client_secret_post',
    'private_key_jwt',
    'none',
  ])
})

test('AS-01 serves the same document at /.well-known/openid-configuration', async () => {
  assert.deepEqual(
    await metadata(WELL_KNOWN.OPENID_CONFIGURATION),
    await metadata(WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER),
  )
})

test('AS-02 advertises the ID-JAG grant profile', async () => {
  const doc = await metadata(WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER)
  assert.deepEqual(doc.authorization_grant_profiles_supported, [GRANT_PROFILE.ID_JAG])
})

test('AS-03 lists jwt-bearer in grant_types_supported, and no refresh_token grant (AS-38)', async () => {
  const doc = await metadata(WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER)
  assert.ok(Array.isArray(doc.grant_types_supported))
  assert.ok(doc.grant_types_supported.includes(GRANT_TYPE.JWT_BEARER))
  assert.ok(!doc.grant_types_supported.includes(GRANT_TYPE.REFRESH_TOKEN))
})

test('AS-05 SEC-17 does not reveal the trusted issuers anywhere in the metadata', async () => {
  const text = JSON.stringify(await metadata(WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER))
  assert.ok(!text.includes(idp.issuer), 'the trusted IdP issuer must not appear in public metadata')
})

test('AS-01 /jwks publishes the public key that signs access tokens, without private members', async () => {
  const res = await fetch(`${as.url}/jwks`)
  const jwks = (await res.json()) as { keys: Array<Record<string, unknown>> }
  assert.equal(jwks.keys.length, 1)
  assert.equal(jwks.keys[0]?.alg, 'ES256')
  assert.equal(jwks.keys[0]?.d, undefined)
})

test('AS-01 AS-06 advertises the authorization code flow truthfully (decision 0050): code, PKCE S256, RFC 9207 iss', async () => {
  for (const path of [WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER, WELL_KNOWN.OPENID_CONFIGURATION]) {
    const doc = await metadata(path)
    assert.equal(doc.authorization_endpoint, `${as.url}/auth`)
    assert.deepEqual(doc.response_types_supported, ['code']) // no implicit, no hybrid
    assert.deepEqual(doc.code_challenge_methods_supported, ['S256']) // no plain
    assert.equal(doc.authorization_response_iss_parameter_supported, true) // RFC 9207, CL-47
    assert.ok(Array.isArray(doc.grant_types_supported))
    assert.deepEqual(
      [...doc.grant_types_supported].sort(),
      ['authorization_code', GRANT_TYPE.TOKEN_EXCHANGE, GRANT_TYPE.JWT_BEARER].sort(),
    )
    assert.deepEqual(doc.authorization_grant_profiles_supported, [GRANT_PROFILE.ID_JAG]) // the EMA profile as before (AS-02)
  }
})

test('AS-01 the authorization endpoint answers only the code response type, for interactive clients only', async () => {
  for (const responseType of ['none', 'token', 'code']) {
    const url = new URL('/auth', as.url)
    // acme-agent-tasks is an EMA client: it has no redirect URI, so nothing can be sent back to it.
    url.search = new URLSearchParams({
      client_id: 'acme-agent-tasks',
      response_type: responseType,
      scope: 'tasks.read',
      redirect_uri: 'http://localhost/cb',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString()
    const res = await fetch(url, { redirect: 'manual' })
    assert.equal(res.status, 400, responseType)
    assert.equal(res.headers.get('location'), null, responseType)
    assert.match(res.headers.get('content-type') ?? '', /text\/html/)
    const page = await res.text()
    assert.match(page, /invalid_redirect_uri|unsupported_response_type|unauthorized_client/, responseType)
    assert.doesNotMatch(page, /at .*\.js:\d+/, 'no stack trace')
  }
})
