import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import Provider, { errors } from 'oidc-provider'
import { listen, type Listening } from '@ema/server-kit'
import { CLIENT_ASSERTION_TYPE, generateSigningKey, publicJwks, type SigningKey } from '@ema/tokens'
import { assertClientAssertionAudience } from '../src/index.ts'

const GRANT = 'urn:example:params:oauth:grant-type:test'
const CLIENT_ID = 'pk1'
let server: Listening
let clientKey: SigningKey

before(async () => {
  server = await listen({ port: 0 })
  clientKey = await generateSigningKey('ES256')
  const provider = new Provider(server.url, {
    jwks: { keys: [(await generateSigningKey('ES256')).privateJwk] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    clientAuthMethods: ['private_key_jwt'],
    clients: [
      {
        client_id: CLIENT_ID,
        jwks: publicJwks([clientKey]),
        grant_types: [GRANT],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'private_key_jwt',
      },
    ],
    features: { devInteractions: { enabled: false } },
    assertJwtClientAuthClaimsAndHeader: assertClientAssertionAudience,
  })
  provider.registerGrantType(GRANT, (ctx) => {
    ctx.body = { access_token: 'opaque', token_type: 'Bearer' }
  })
  server.server.on('request', provider.callback())
})
after(() => server.close())

/**
 * Signs a client assertion with any `aud` (a string or an array), which `signClientAssertion`
 * cannot: ES256 over WebCrypto, whose signature is already the JWS form (r ‖ s).
 */
async function clientAssertion(aud: unknown): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${b64({ alg: 'ES256', kid: clientKey.kid })}.${b64({ iss: CLIENT_ID, sub: CLIENT_ID, aud, jti: crypto.randomUUID(), iat: now, exp: now + 60 })}`
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    clientKey.privateKey,
    new TextEncoder().encode(input),
  )
  return `${input}.${Buffer.from(signature).toString('base64url')}`
}

async function token(aud: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: GRANT,
      client_id: CLIENT_ID,
      client_assertion_type: CLIENT_ASSERTION_TYPE.JWT_BEARER,
      client_assertion: await clientAssertion(aud),
    }),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** Calls the check directly, as oidc-provider would after verifying the assertion. */
function check(aud: unknown): void {
  assertClientAssertionAudience({ oidc: { issuer: 'https://as.example.com' } }, { iss: CLIENT_ID, aud })
}

function refusedWith(description: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof errors.InvalidClientAuth)
    assert.equal(error.statusCode, 401)
    assert.equal(error.error, 'invalid_client')
    assert.equal(error.error_description, description)
    return true
  }
}

test('IDP-09 AS-08 a client assertion whose aud is exactly the issuer passes', () => {
  check('https://as.example.com')
})

test('IDP-09 AS-08 RFC 7523bis refuses any other aud, the token endpoint URL included, as invalid_client', () => {
  for (const aud of [
    'https://as.example.com/token',
    'https://as.example.com/',
    'HTTPS://AS.EXAMPLE.COM',
    'https://other.example.com',
    '',
    undefined,
    42,
  ]) {
    assert.throws(
      () => check(aud),
      refusedWith('client assertion aud must be exactly the issuer identifier "https://as.example.com"'),
      String(aud),
    )
  }
})

test('IDP-09 AS-08 RFC 7523bis refuses an array aud, even one holding only the issuer', () => {
  for (const aud of [['https://as.example.com'], ['https://as.example.com', 'https://as.example.com/token'], []]) {
    assert.throws(
      () => check(aud),
      refusedWith(
        'client assertion aud must be exactly the issuer identifier "https://as.example.com" as a single string, not an array',
      ),
      JSON.stringify(aud),
    )
  }
})

test('IDP-09 AS-08 installed in oidc-provider: the issuer as aud authenticates the client', async () => {
  const res = await token(server.url)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.access_token, 'opaque')
})

test('IDP-09 AS-08 installed in oidc-provider: the token endpoint URL as aud, which oidc-provider alone accepts, is 401 invalid_client', async () => {
  const res = await token(`${server.url}/token`)
  assert.equal(res.status, 401)
  assert.deepEqual(res.body, {
    error: 'invalid_client',
    error_description: `client assertion aud must be exactly the issuer identifier "${server.url}"`,
  })
})

test('IDP-09 AS-08 installed in oidc-provider: an array aud holding the issuer is 401 invalid_client', async () => {
  const res = await token([server.url])
  assert.equal(res.status, 401)
  assert.deepEqual(res.body, {
    error: 'invalid_client',
    error_description: `client assertion aud must be exactly the issuer identifier "${server.url}" as a single string, not an array`,
  })
})
