import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CookieJar } from '../src/index.ts'

const response = (...cookies: string[]) =>
  new Response(null, { headers: cookies.map((cookie): [string, string] => ['set-cookie', cookie]) })

test('an empty jar sends no cookie', () => {
  assert.equal(new CookieJar().header(), '')
})

test('keeps name and value of every Set-Cookie, without attributes, the last value winning', () => {
  const jar = new CookieJar()
  jar.store(
    response('_interaction=abc; path=/interaction/abc; httponly; samesite=lax', '_session=s1; path=/; httponly'),
  )
  jar.store(response('_session=s2; path=/'))
  assert.equal(jar.header(), '_interaction=abc; _session=s2')
})

test('keeps an "=" inside a value', () => {
  const jar = new CookieJar()
  jar.store(response('sig=a=b==; path=/'))
  assert.equal(jar.header(), 'sig=a=b==')
})

test('forgets a cookie cleared with an empty value or an expiry in 1970', () => {
  const jar = new CookieJar()
  jar.store(response('a=1', 'b=2', 'c=3'))
  jar.store(response('a=; path=/', 'b=gone; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT'))
  assert.equal(jar.header(), 'c=3')
})

test('ignores a Set-Cookie without a name', () => {
  const jar = new CookieJar()
  jar.store(response('novalue', '=x'))
  assert.equal(jar.header(), '')
})
