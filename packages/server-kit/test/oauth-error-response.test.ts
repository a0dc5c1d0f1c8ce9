import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  InsufficientScopeError,
  InvalidClientError,
  InvalidGrantError,
  InvalidRequestError,
  InvalidTokenError,
} from '@ema/tokens'
import { createLogger, oauthErrorResponse } from '../src/index.ts'

test('RFC 6749 §5.2 an OAuthError becomes its status, code and description with no-store', () => {
  const response = oauthErrorResponse(new InvalidGrantError('the ID-JAG has expired'))
  assert.equal(response.status, 400)
  assert.deepEqual(response.body, { error: 'invalid_grant', error_description: 'the ID-JAG has expired' })
  assert.equal(response.headers['cache-control'], 'no-store')
  assert.equal(response.headers['www-authenticate'], undefined)
})

test('anything else becomes a 500 server_error that does not reveal the cause, which is logged', () => {
  const lines: string[] = []
  const log = createLogger({ name: 't', write: (line) => lines.push(line) })
  const response = oauthErrorResponse(new Error('database password is hunter2'), { log })
  assert.equal(response.status, 500)
  assert.equal(response.body.error, 'server_error')
  assert.ok(!JSON.stringify(response.body).includes('hunter2'))
  assert.match(lines[0]!, /ERROR/)
})

test('RS-05 RS-06 invalid_token carries a Bearer challenge with resource_metadata and scope', () => {
  const response = oauthErrorResponse(new InvalidTokenError('the access token has expired'), {
    resourceMetadata: 'http://localhost:4003/.well-known/oauth-protected-resource/mcp',
    scope: 'tasks.read',
  })
  assert.equal(response.status, 401)
  assert.equal(
    response.headers['www-authenticate'],
    'Bearer error="invalid_token", error_description="the access token has expired", scope="tasks.read", resource_metadata="http://localhost:4003/.well-known/oauth-protected-resource/mcp"',
  )
})

test('RS-07 insufficient_scope is a 403 naming the scopes needed', () => {
  const response = oauthErrorResponse(new InsufficientScopeError('add_task needs tasks.write', ['tasks.write']), {
    resourceMetadata: 'http://rs/prm',
  })
  assert.equal(response.status, 403)
  assert.match(
    response.headers['www-authenticate']!,
    /^Bearer error="insufficient_scope", .*scope="tasks.write", resource_metadata="http:\/\/rs\/prm"$/,
  )
})

test('IDP-57 invalid_client is a 401 with a Basic challenge when the Authorization header was used', () => {
  const response = oauthErrorResponse(new InvalidClientError('client authentication failed'), {
    usedAuthorizationHeader: true,
  })
  assert.equal(response.status, 401)
  assert.equal(response.headers['www-authenticate'], 'Basic realm="token endpoint"')
})

test('RS-05 RS-06 without any credentials the challenge names no error (RFC 6750 §3.1)', () => {
  const response = oauthErrorResponse(new InvalidTokenError('this resource needs an access token'), {
    resourceMetadata: 'http://rs/prm',
    scope: 'tasks.read',
    credentialsPresented: false,
  })
  assert.equal(response.status, 401)
  assert.equal(response.headers['www-authenticate'], 'Bearer resource_metadata="http://rs/prm", scope="tasks.read"')
  assert.equal(response.body.error, 'invalid_token')
})

test('RS-08 RS-12 invalid_request at a protected resource carries a Bearer challenge too', () => {
  const response = oauthErrorResponse(new InvalidRequestError('tokens belong in the Authorization header'), {
    resourceMetadata: 'http://rs/prm',
    scope: 'tasks.read',
  })
  assert.equal(response.status, 400)
  assert.equal(
    response.headers['www-authenticate'],
    'Bearer error="invalid_request", error_description="tokens belong in the Authorization header", resource_metadata="http://rs/prm"',
  )
})

test('RS-05 a description with control or non-ASCII characters cannot break the header', () => {
  const response = oauthErrorResponse(new InvalidTokenError('typ "a\r\nSet-Cookie: x=1" \u0100 \\'), {
    resourceMetadata: 'http://rs/prm',
  })
  const header = response.headers['www-authenticate']!
  assert.ok(/^[\x20-\x7e]*$/.test(header), header)
  assert.match(header, /error_description="typ 'a\?\?Set-Cookie: x=1' \? '"/)
})
