import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { z } from 'zod'
import { firstIssue, parseJson, readJson, readPort, readPrivateJwk, readUrl } from '../src/index.ts'

const ON = { allowInsecureHttp: true }
const OFF = { allowInsecureHttp: false }

describe('readUrl', () => {
  test('the variable, else the fallback, kept exactly as configured', () => {
    assert.equal(readUrl({ X: 'https://idp.example/' }, 'X', 'https://other.example', OFF), 'https://idp.example/')
    assert.equal(readUrl({}, 'X', 'https://fallback.example/a', OFF), 'https://fallback.example/a')
    assert.equal(readUrl({ X: '' }, 'X', 'https://fallback.example', OFF), 'https://fallback.example')
  })

  test('SEC-01 CL-48 plain http is refused without ALLOW_INSECURE_HTTP, and the message says to set it', () => {
    assert.throws(
      () => readUrl({ X: 'http://localhost:4001' }, 'X', '', OFF),
      (error: unknown) =>
        error instanceof TypeError &&
        error.message ===
          'X is plain http (http://localhost:4001): use https, or set ALLOW_INSECURE_HTTP=true for a local demo on loopback hosts',
    )
  })

  test('SEC-01 with ALLOW_INSECURE_HTTP=true plain http reaches loopback hosts only, and the message never says to set the switch', () => {
    for (const href of ['http://localhost:4001', 'http://127.0.0.1:4001/x', 'http://[::1]:4001'])
      assert.equal(readUrl({ X: href }, 'X', '', ON), href)
    for (const href of ['http://idp.internal:4001', 'http://10.0.0.1', 'http://localhost.evil.example']) {
      assert.throws(
        () => readUrl({ X: href }, 'X', '', ON),
        (error: unknown) =>
          error instanceof TypeError &&
          /^X is plain http to .+, which is not a loopback host: ALLOW_INSECURE_HTTP=true allows http only to localhost, 127\.x\.x\.x and \[::1\]; use https$/.test(
            error.message,
          ) &&
          !error.message.includes('set ALLOW_INSECURE_HTTP'),
      )
    }
  })

  test('CL-50 refuses a relative URL, another scheme, userinfo and a fragment, never echoing a credential', () => {
    const refused: Array<[string, RegExp]> = [
      ['not a url', /^X is not an absolute URL$/],
      ['ftp://files.example', /^X must be an https URL$/],
      ['https://user:s3cret@idp.example', /^X must not contain userinfo$/],
      ['https://idp.example/#frag', /^X must not have a fragment$/],
      ['https://idp.example/#', /^X must not have a fragment$/],
    ]
    for (const [value, message] of refused) {
      assert.throws(
        () => readUrl({ X: value }, 'X', '', ON),
        (error: unknown) =>
          error instanceof TypeError && message.test(error.message) && !error.message.includes('s3cret'),
      )
    }
  })
})

describe('readPort', () => {
  test('the variable, else the URL port, else the scheme default', () => {
    assert.equal(readPort({ P: '4901' }, 'P', 'http://localhost:4001'), 4901)
    assert.equal(readPort({ P: '0' }, 'P', 'http://localhost:4001'), 0)
    assert.equal(readPort({}, 'P', 'http://localhost:4001/mcp'), 4001)
    assert.equal(readPort({ P: '' }, 'P', new URL('https://idp.example')), 443)
    assert.equal(readPort({}, 'P', 'http://localhost'), 80)
  })

  test('anything but a port number is refused naming the variable', () => {
    for (const value of ['abc', '-1', '65536', '1.5', ' 80'])
      assert.throws(() => readPort({ P: value }, 'P', 'http://localhost:1'), /^TypeError: P must be a port number/)
  })
})

describe('readJson', () => {
  const Schema = z.array(z.object({ id: z.string().min(1) }).strict()).min(1)

  test('absent or empty is undefined; a value is parsed and checked', () => {
    assert.equal(readJson({}, 'J', Schema), undefined)
    assert.equal(readJson({ J: '  ' }, 'J', Schema), undefined)
    assert.deepEqual(readJson({ J: '[{"id":"a"}]' }, 'J', Schema), [{ id: 'a' }])
  })

  test('not JSON, or the first issue of the schema, one line naming the variable and never the value', () => {
    assert.throws(() => readJson({ J: '{secret' }, 'J', Schema), /^TypeError: J is not valid JSON$/)
    assert.throws(() => readJson({ J: '[{"id":""}]' }, 'J', Schema), /^TypeError: invalid J at 0\.id: /)
    assert.throws(() => readJson({ J: '[]' }, 'J', Schema), /^TypeError: invalid J: /)
    assert.throws(
      () => parseJson('[{"id":"a","pw":"s3cret"}]', 'file.json at clients', Schema),
      (error: unknown) =>
        error instanceof TypeError &&
        error.message.startsWith('invalid file.json at clients.0: ') &&
        !error.message.includes('s3cret'),
    )
  })
})

describe('readPrivateJwk', () => {
  const jwk = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd', alg: 'ES256', kid: 'k1' }

  test('a private JWK with alg passes with every member; absent is undefined', () => {
    assert.deepEqual(readPrivateJwk({ K: JSON.stringify(jwk) }, 'K'), jwk)
    assert.equal(readPrivateJwk({}, 'K'), undefined)
    assert.equal(readPrivateJwk({ K: '' }, 'K'), undefined)
  })

  test('CL-28 CL-49 a public key, a key without alg, or not JSON is refused naming the variable, never the key', () => {
    const { d: _d, ...publicKey } = jwk
    const { alg: _alg, ...noAlg } = jwk
    const refused: Array<[string, RegExp]> = [
      ['{"kty":"EC","d":"s3cret', /^K is not valid JSON$/],
      [JSON.stringify(publicKey), /^invalid K at d: must be a private JWK \(with "d"\)$/],
      [JSON.stringify({ ...noAlg, d: 's3cret' }), /^invalid K at alg: must name its signing algorithm in "alg"/],
      ['"a string"', /^invalid K: /],
    ]
    for (const [value, message] of refused) {
      assert.throws(
        () => readPrivateJwk({ K: value }, 'K'),
        (error: unknown) =>
          error instanceof TypeError && message.test(error.message) && !error.message.includes('s3cret'),
      )
    }
  })
})

describe('firstIssue', () => {
  const issue = (schema: z.ZodType, value: unknown) => {
    const result = schema.safeParse(value)
    assert.equal(result.success, false)
    return result.error!
  }

  test('names the variable and the path of the first issue, in one spelling', () => {
    const Env = z.object({ PORT: z.string().regex(/^\d+$/, 'must be a port number') })
    assert.equal(firstIssue(issue(Env, { PORT: 'x' })), 'invalid PORT: must be a port number')
    const List = z.array(z.object({ id: z.string({ error: 'id is required' }) }))
    assert.equal(firstIssue(issue(List, [{}]), 'CLIENTS'), 'invalid CLIENTS at 0.id: id is required')
    assert.equal(
      firstIssue(issue(List, [{}]), 'world.json at clients'),
      'invalid world.json at clients.0.id: id is required',
    )
    assert.match(firstIssue(issue(List, 'x'), 'CLIENTS'), /^invalid CLIENTS: /)
  })
})
