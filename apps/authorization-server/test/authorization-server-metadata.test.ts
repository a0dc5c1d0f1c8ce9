import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { GRANT_PROFILE, GRANT_TYPE, WELL_KNOWN } from '@ema/tokens'
import { startAs, startIdp, type TestAs, type TestIdp } from './helpers.ts'

let idp: TestIdp
let as: TestAs
before(async () => {
  idp = await startIdp()
  as = await startAs([idp])
})
after(async () => {
  await as.close()
  await idp.close()
})

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
  assert.deepEqual(doc.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'private_key_jwt'])
})

test('AS-01 serves the same document at /.well-known/openid-configuration', async () => {
  assert.deepEqual(await metadata(WELL_KNOWN.OPENID_CONFIGURATION), await metadata(WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER))
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

test('AS-05 does not reveal the trusted issuers anywhere in the metadata', async () => {
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
