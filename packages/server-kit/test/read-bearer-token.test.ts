import assert from 'node:assert/strict'
import { test } from 'node:test'
import { InvalidRequestError } from '@ema/tokens'
import { NoBearerTokenError, readBearerToken, type BearerTokenRequest } from '../src/index.ts'

const request = (headers: Record<string, string>, extra: Partial<BearerTokenRequest> = {}): BearerTokenRequest => ({
  headers,
  rawHeaders: Object.entries(headers).flat(),
  ...extra,
})

test('RS-05 RS-08 readBearerToken returns the token of one Authorization: Bearer header', () => {
  assert.equal(readBearerToken(request({ authorization: 'Bearer abc.def-ghi' })), 'abc.def-ghi')
  assert.equal(readBearerToken(request({ authorization: 'bearer abc=' })), 'abc=')
})

test('RS-05 no header or another scheme is a NoBearerTokenError (401 without an error code)', () => {
  assert.throws(() => readBearerToken(request({})), NoBearerTokenError)
  assert.throws(() => readBearerToken(request({ authorization: 'Basic dTpw' })), NoBearerTokenError)
})

test('RS-08 RS-12 a malformed value, two headers, or a token outside the header are invalid_request', () => {
  assert.throws(() => readBearerToken(request({ authorization: 'Bearer a b' })), InvalidRequestError)
  assert.throws(
    () =>
      readBearerToken({
        headers: { authorization: 'Bearer a' },
        rawHeaders: ['Authorization', 'Bearer a', 'authorization', 'Bearer b'],
      }),
    /more than one/,
  )
  assert.throws(
    () => readBearerToken(request({ authorization: 'Bearer a' }, { query: { access_token: 'x' } })),
    /query string/,
  )
  assert.throws(
    () =>
      readBearerToken(
        request(
          { authorization: 'Bearer a', 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
          { body: { access_token: 'x' } },
        ),
      ),
    /form body/,
  )
  // A JSON body that happens to have an access_token member is not a form body.
  assert.equal(
    readBearerToken(
      request({ authorization: 'Bearer a', 'content-type': 'application/json' }, { body: { access_token: 'x' } }),
    ),
    'a',
  )
})
