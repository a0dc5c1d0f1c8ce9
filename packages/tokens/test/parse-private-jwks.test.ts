import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exportJWK, generateKeyPair } from 'jose'
import { importSigningKeys, parsePrivateJwks, publicJwks } from '../src/index.ts'

const privateJwk = async (kid?: string) => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  return { ...(await exportJWK(privateKey)), ...(kid === undefined ? {} : { kid }) }
}

test('a JWK Set of private keys: the first signs, all are published (rotation)', async () => {
  const jwks = parsePrivateJwks(
    JSON.stringify({ keys: [await privateJwk('new'), await privateJwk('old')] }),
    'X_SIGNING_KEYS',
  )
  const keys = await importSigningKeys(jwks)
  assert.deepEqual(
    keys.map((key) => key.kid),
    ['new', 'old'],
  )
  assert.equal(keys[0]!.alg, 'ES256', 'alg defaults to ES256')
  const published = publicJwks(keys)
  assert.equal(published.keys.length, 2)
  assert.ok(published.keys.every((key) => key.d === undefined))
})

test('one private JWK is a set of one', async () => {
  assert.equal(parsePrivateJwks(JSON.stringify(await privateJwk()), 'X').length, 1)
})

test('refused, naming the variable, never echoing a value: not JSON, a public key, several keys without or with a repeated kid', async () => {
  const secret = await privateJwk('k')
  const { d: _d, ...publicOnly } = secret
  const cases: Array<[string, RegExp]> = [
    ['{not json', /X is not valid JSON/],
    [JSON.stringify({ keys: [] }), /X holds no keys/],
    [JSON.stringify({ keys: [publicOnly] }), /X: key 0 must be a private JWK/],
    [JSON.stringify({ keys: [secret, { ...(await privateJwk()) }] }), /X: key 1 needs a "kid"/],
    [JSON.stringify({ keys: [secret, secret] }), /X: kid "k" is used twice/],
  ]
  for (const [json, message] of cases) {
    assert.throws(
      () => parsePrivateJwks(json, 'X'),
      (error: unknown) => {
        assert.ok(error instanceof TypeError)
        assert.match(error.message, message)
        assert.ok(!error.message.includes(secret.d as string))
        return true
      },
    )
  }
})
