import assert from 'node:assert/strict'
import { test } from 'node:test'
import { GRANT_TYPE, METADATA, TOKEN_TYPE, WELL_KNOWN } from '@ema/tokens'
import { jsonObject, type TestIdp, useIdp } from './support/idp.ts'

let idp: TestIdp
useIdp((started) => (idp = started))

for (const path of [WELL_KNOWN.OPENID_CONFIGURATION, WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER]) {
  test(`IDP-01 IDP-02 ${path} advertises ID-JAG issuance, the token-exchange grant and jwks_uri`, async () => {
    const res = await fetch(new URL(path, idp.url))
    assert.equal(res.status, 200)
    const metadata = await jsonObject(res)
    assert.equal(metadata.issuer, idp.url)
    assert.deepEqual(metadata[METADATA.IDENTITY_CHAINING_REQUESTED_TOKEN_TYPES_SUPPORTED], [TOKEN_TYPE.ID_JAG])
    assert.ok(
      Array.isArray(metadata.grant_types_supported) &&
        metadata.grant_types_supported.includes(GRANT_TYPE.TOKEN_EXCHANGE),
    )
    assert.equal(metadata.jwks_uri, `${idp.url}/jwks`)
    assert.equal(metadata.token_endpoint, `${idp.url}/token`)
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256'])
  })
}

test('IDP-38 /jwks publishes the signing key (public part only)', async () => {
  const res = await fetch(new URL('/jwks', idp.url))
  const jwks = await jsonObject(res)
  assert.ok(Array.isArray(jwks.keys))
  const key: unknown = jwks.keys.find(
    (k: unknown) => typeof k === 'object' && k !== null && 'kid' in k && k.kid === idp.signingKey.kid,
  )
  assert.ok(typeof key === 'object' && key !== null, 'the signing key is published')
  assert.ok(key, 'the signing key is published')
  assert.equal('d' in key, false)
  assert.equal('alg' in key && key.alg, 'ES256')
})
