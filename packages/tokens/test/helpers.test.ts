import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  formatScope,
  generateSigningKey,
  inspectJwt,
  intersectScopes,
  parseScope,
  redact,
  signIdJag,
} from '../src/index.ts'

describe('scope helpers', () => {
  const parseCases: Array<[string | undefined | null, string[]]> = [
    [undefined, []],
    [null, []],
    ['', []],
    ['   ', []],
    ['files:read', ['files:read']],
    ['files:read files:write', ['files:read', 'files:write']],
    ['  files:read   files:write  ', ['files:read', 'files:write']],
    ['a b a c b', ['a', 'b', 'c']],
  ]
  for (const [input, expected] of parseCases) {
    test(`AS-26 parseScope(${JSON.stringify(input)}) is ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseScope(input), expected)
    })
  }

  test('AS-26 formatScope joins with single spaces and round-trips', () => {
    assert.equal(formatScope([]), '')
    assert.equal(formatScope(['a', 'b']), 'a b')
    assert.equal(formatScope(new Set(['x', 'y'])), 'x y')
    assert.equal(formatScope(parseScope(' a  b ')), 'a b')
  })

  const intersectCases: Array<[string[], string[][], string[]]> = [
    [['a', 'b', 'c'], [['c', 'a']], ['a', 'c']],
    [['a', 'b'], [['x']], []],
    [['a', 'b'], [], ['a', 'b']],
    [
      ['a', 'b', 'c'],
      [
        ['a', 'b'],
        ['b', 'c'],
      ],
      ['b'],
    ],
    [[], [['a']], []],
  ]
  for (const [first, others, expected] of intersectCases) {
    test(`AS-27 intersectScopes(${JSON.stringify(first)}, ...${JSON.stringify(others)}) is ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(intersectScopes(first, ...others), expected)
    })
  }
})

describe('inspectJwt', () => {
  test('inspectJwt decodes header and claims without verifying', async () => {
    const key = await generateSigningKey()
    const token = await signIdJag({
      issuer: 'https://idp',
      audience: 'https://as',
      subject: 'u',
      clientId: 'c',
      now: new Date(),
      key,
    })
    const inspected = inspectJwt(token)
    assert.ok(inspected)
    assert.equal(inspected.header.typ, 'oauth-id-jag+jwt')
    assert.equal(inspected.claims.sub, 'u')
  })

  for (const garbage of [
    '',
    'garbage',
    'a.b.c',
    'a.b',
    '..',
    'eyJ.eyJ.x',
    `${Buffer.from('{}').toString('base64url')}.${Buffer.from('[]').toString('base64url')}.x`,
  ]) {
    test(`inspectJwt returns undefined for ${JSON.stringify(garbage.slice(0, 20))}`, () => {
      assert.equal(inspectJwt(garbage), undefined)
    })
  }
})

describe('redact', () => {
  for (const value of [undefined, null, '']) {
    test(`SEC-05 redact(${JSON.stringify(value)}) is "(none)"`, () => {
      assert.equal(redact(value), '(none)')
    })
  }

  const values = [
    'Z',
    'Zq',
    'secret',
    'pass1234',
    's3cr3t-pw',
    'client-secret-xyz',
    'eyJhbGciOiJFUzI1NiIsInR5cCI6Im9hdXRoLWlkLWphZytqd3QifQ.eyJpc3MiOiJodHRwczovL2lkcCJ9.c2lnbmF0dXJl',
  ]
  for (const value of values) {
    test(`SEC-05 redact never contains the full value (${value.length} chars)`, () => {
      const out = redact(value)
      const shown = out.slice(0, out.lastIndexOf('…'))
      assert.ok(shown.length < value.length && !out.includes(value), `${JSON.stringify(out)} contains the full value`)
      assert.ok(shown.length <= 8)
      assert.match(out, new RegExp(`\\(${value.length} chars\\)$`))
    })
  }

  test('SEC-05 redact keeps a short prefix of a long token for correlation', () => {
    const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.sig'
    assert.equal(redact(token), `eyJhbGci…(${token.length} chars)`)
  })
})
