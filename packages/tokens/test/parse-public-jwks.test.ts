import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { generateSigningKey, parsePublicJwks, publicJwks } from '../src/index.ts'

const VARIABLE = 'SOME_CLI_JWKS'
const first = await generateSigningKey('ES256')
const second = await generateSigningKey('ES256')
const {
  keys: [key, otherKey],
} = publicJwks([first, second]) as { keys: Array<Record<string, unknown>> }
assert.ok(key !== undefined && otherKey !== undefined)

function assertRefused(json: string, message: RegExp): void {
  assert.throws(
    () => parsePublicJwks(json, VARIABLE),
    (error: unknown) => {
      assert.ok(error instanceof TypeError, `expected TypeError, got ${String(error)}`)
      assert.match(error.message, message)
      return true
    },
    json,
  )
}

describe('parsePublicJwks', () => {
  test('accepts a public JWK Set of EC P-256 ES256 keys and returns its keys', () => {
    const parsed = parsePublicJwks(JSON.stringify({ keys: [key, otherKey], extra: 'dropped' }), VARIABLE)
    assert.deepEqual(parsed, { keys: [key, otherKey] })
    assert.equal(parsed.keys[0]?.kid, first.kid)
    assert.equal(parsed.keys[0]?.use, 'sig')
  })

  test('accepts a key without "use"', () => {
    const { use: _use, ...withoutUse } = key
    assert.deepEqual(parsePublicJwks(JSON.stringify({ keys: [withoutUse] }), VARIABLE), { keys: [withoutUse] })
  })

  test('refuses text that is not JSON, naming the variable', () => {
    assertRefused('not json', new RegExp(`^${VARIABLE} is not valid JSON`))
    assertRefused('', new RegExp(`^${VARIABLE} is not valid JSON`))
  })

  test('CL-49 refuses (does not strip) a private member, naming the variable and the member', () => {
    const privateJwk = first.privateJwk
    assertRefused(
      JSON.stringify({ keys: [privateJwk] }),
      new RegExp(`^${VARIABLE} must hold public keys only, but key 0 has the private member "d"`),
    )
    assertRefused(JSON.stringify({ keys: [key, { ...otherKey, d: 'AAAA' }] }), /key 1 has the private member "d"/)
    for (const member of ['p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
      assertRefused(
        JSON.stringify({ keys: [{ ...key, [member]: 'AAAA' }] }),
        new RegExp(`${VARIABLE} .*private member "${member}"`),
      )
    }
    // A private member is refused before any other rule, even in a key that breaks others too.
    assertRefused(JSON.stringify({ keys: [{ kty: 'oct', k: 'AAAA' }] }), /private member "k"/)
  })

  test('refuses a set that holds no keys', () => {
    assertRefused(JSON.stringify({ keys: [] }), new RegExp(`^invalid ${VARIABLE} at keys: it holds no keys`))
  })

  test('refuses a value that is not a JWK Set', () => {
    assertRefused(
      JSON.stringify({}),
      new RegExp(`^invalid ${VARIABLE} at keys: Invalid input: expected array, received undefined`),
    )
    assertRefused(JSON.stringify(key), new RegExp(`^invalid ${VARIABLE} at keys`)) // a bare JWK, not a set
    assertRefused(JSON.stringify({ keys: 'x' }), /at keys: Invalid input: expected array, received string/)
    assertRefused(
      JSON.stringify([key]),
      new RegExp(`^invalid ${VARIABLE}: Invalid input: expected object, received array`),
    )
    assertRefused('null', new RegExp(`^invalid ${VARIABLE}: Invalid input: expected object, received null`))
    assertRefused(JSON.stringify({ keys: [5] }), /at keys\.0: Invalid input: expected object, received number/)
  })

  const wrongMembers: Array<[string, Record<string, unknown>, RegExp]> = [
    ['kty', { kty: 'RSA' }, /at keys\.0\.kty: Invalid input: expected "EC"/],
    ['crv', { crv: 'P-384' }, /at keys\.0\.crv: Invalid input: expected "P-256"/],
    ['alg', { alg: 'RS256' }, /at keys\.0\.alg: Invalid input: expected "ES256"/],
    ['alg (absent)', { alg: undefined }, /at keys\.0\.alg: Invalid input: expected "ES256"/],
    ['use', { use: 'enc' }, /at keys\.0\.use: Invalid input: expected "sig"/],
    ['kid (absent)', { kid: undefined }, /at keys\.0\.kid: Invalid input: expected string, received undefined/],
    ['kid (empty)', { kid: '' }, /at keys\.0\.kid: Too small: expected string to have >=1 characters/],
    ['kid (a number)', { kid: 7 }, /at keys\.0\.kid: Invalid input: expected string, received number/],
    ['x (absent)', { x: undefined }, /at keys\.0\.x: Invalid input: expected string, received undefined/],
  ]
  for (const [name, change, message] of wrongMembers) {
    test(`refuses a key with a wrong ${name}, naming the variable and the member`, () => {
      assertRefused(
        JSON.stringify({ keys: [{ ...key, ...change }] }),
        new RegExp(`^invalid ${VARIABLE} ${message.source}`),
      )
    })
  }

  test('reports the first rule broken, in the order kty, crv, x, y, kid, alg, use', () => {
    assertRefused(JSON.stringify({ keys: [{ ...key, crv: 'P-384', alg: 'RS256' }] }), /at keys\.0\.crv/)
    assertRefused(JSON.stringify({ keys: [key, { ...otherKey, alg: 'none' }] }), /at keys\.1\.alg/)
  })

  test('the shape message shows the expected form', () => {
    assertRefused(
      JSON.stringify({ keys: [] }),
      /\(expected \{"keys":\[\{"kty":"EC","crv":"P-256","x":…,"y":…,"kid":…,"alg":"ES256"\}\]\}\)$/,
    )
  })

  test('refuses a kid used twice', () => {
    assertRefused(
      JSON.stringify({ keys: [key, key] }),
      new RegExp(`^invalid ${VARIABLE}: kid "${first.kid}" is used twice`),
    )
    assertRefused(JSON.stringify({ keys: [key, { ...otherKey, kid: first.kid }] }), /is used twice/)
  })

  test('refuses a key that is not a point on P-256', () => {
    assertRefused(
      JSON.stringify({ keys: [{ ...key, y: key.x }] }),
      new RegExp(`^invalid ${VARIABLE}: key 0 is not a valid P-256 public key`),
    )
    assertRefused(JSON.stringify({ keys: [key, { ...otherKey, x: 'AAAA' }] }), /key 1 is not a valid P-256 public key/)
  })

  test('names whichever variable it is given', () => {
    assert.throws(() => parsePublicJwks('{', 'AGENT_CLI_JWKS'), {
      name: 'TypeError',
      message: /^AGENT_CLI_JWKS is not valid JSON/,
    })
    assert.throws(() => parsePublicJwks(JSON.stringify({ keys: [first.privateJwk] }), 'AGENT_CLI_JWKS'), {
      name: 'TypeError',
      message: /^AGENT_CLI_JWKS must hold public keys only/,
    })
  })
})
