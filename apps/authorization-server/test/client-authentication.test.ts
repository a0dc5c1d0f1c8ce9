import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateSigningKey, type SigningKey } from '@ema/tokens'
import {
  CLIENT_ID,
  mintIdJag,
  readRefusal,
  redeem,
  type TestAs,
  type TestIdp,
  useJwtBearer,
  twoClientAuthentications,
  PKJWT_CLIENT,
} from './support/jwt-bearer.ts'

let idp: TestIdp
let as: TestAs
let clientKey: SigningKey

useJwtBearer(
  (suite) => ({ idp, as } = suite),
  async () => {
    clientKey = await generateSigningKey('ES256')
    return { env: { CLIENTS: twoClientAuthentications(clientKey) } }
  },
)

test('AS-08 accepts client_secret_basic', async () => {
  const res = await redeem(as, await mintIdJag(idp, as), { auth: { method: 'client_secret_basic' } })
  assert.equal(res.status, 200)
})

test('AS-08 accepts client_secret_post', async () => {
  const res = await redeem(as, await mintIdJag(idp, as), { auth: { method: 'client_secret_post' } })
  assert.equal(res.status, 200)
})

test('AS-08 AS-10 accepts private_key_jwt', async () => {
  const assertion = await mintIdJag(idp, as, { claims: { client_id: PKJWT_CLIENT } })
  const res = await redeem(as, assertion, {
    auth: { method: 'private_key_jwt', clientId: PKJWT_CLIENT, key: clientKey },
  })
  assert.equal(res.status, 200)
  const body = (await res.json()) as Record<string, unknown>
  assert.equal(typeof body.access_token, 'string')
})

test('AS-08 AS-10 SEC-07 accepts a private_key_jwt client assertion whose aud is exactly the issuer', async () => {
  const assertion = await mintIdJag(idp, as, { claims: { client_id: PKJWT_CLIENT } })
  const res = await redeem(as, assertion, {
    auth: { method: 'private_key_jwt', clientId: PKJWT_CLIENT, key: clientKey, aud: as.url },
  })
  assert.equal(res.status, 200)
  const body = (await res.json()) as Record<string, unknown>
  assert.equal(typeof body.access_token, 'string')
})

test('AS-08 AS-10 SEC-07 refuses a private_key_jwt client assertion whose aud is the token endpoint URL with 401 invalid_client (RFC 7523bis)', async () => {
  const assertion = await mintIdJag(idp, as, { claims: { client_id: PKJWT_CLIENT } })
  const res = await redeem(as, assertion, {
    auth: { method: 'private_key_jwt', clientId: PKJWT_CLIENT, key: clientKey, aud: `${as.url}/token` },
  })
  const { status, body } = await readRefusal(res)
  assert.equal(status, 401)
  assert.deepEqual(body, {
    error: 'invalid_client',
    error_description: `client assertion aud must be exactly the issuer identifier "${as.url}"`,
  })
})

test('AS-08 AS-10 SEC-07 refuses an array client assertion aud, even one holding the issuer, with 401 invalid_client (RFC 7523bis)', async () => {
  for (const aud of [[as.url], [as.url, `${as.url}/token`]]) {
    const assertion = await mintIdJag(idp, as, { claims: { client_id: PKJWT_CLIENT } })
    const res = await redeem(as, assertion, {
      auth: { method: 'private_key_jwt', clientId: PKJWT_CLIENT, key: clientKey, aud },
    })
    const { status, body } = await readRefusal(res)
    assert.equal(status, 401, JSON.stringify(aud))
    assert.deepEqual(body, {
      error: 'invalid_client',
      error_description: `client assertion aud must be exactly the issuer identifier "${as.url}" as a single string, not an array`,
    })
  }
})

test('AS-08 refuses private_key_jwt signed with a key the client did not register', async () => {
  const assertion = await mintIdJag(idp, as, { claims: { client_id: PKJWT_CLIENT } })
  const res = await redeem(as, assertion, {
    auth: { method: 'private_key_jwt', clientId: PKJWT_CLIENT, key: await generateSigningKey('ES256') },
  })
  const { status, body } = await readRefusal(res)
  assert.equal(status, 401)
  assert.equal(body.error, 'invalid_client')
})

test('AS-08 answers a request without client authentication with 401 invalid_client', async () => {
  const res = await redeem(as, await mintIdJag(idp, as), { auth: { method: 'none' } })
  const { status, body } = await readRefusal(res)
  assert.equal(status, 401)
  assert.deepEqual(body, { error: 'invalid_client', error_description: 'client authentication is required' })
})

test('AS-08 answers a client_id without credentials with 401 invalid_client', async () => {
  const res = await redeem(as, await mintIdJag(idp, as), {
    auth: { method: 'none' },
    extra: [['client_id', CLIENT_ID]],
  })
  const { status, body } = await readRefusal(res)
  assert.equal(status, 401)
  assert.equal(body.error, 'invalid_client')
})

test('AS-08 answers a wrong client secret with 401 invalid_client', async () => {
  const res = await redeem(as, await mintIdJag(idp, as), { auth: { method: 'client_secret_basic', secret: 'wrong' } })
  const { status, body } = await readRefusal(res)
  assert.equal(status, 401)
  assert.equal(body.error, 'invalid_client')
  assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /)
})

test('AS-08 answers an unknown client with 401 invalid_client', async () => {
  const res = await redeem(as, await mintIdJag(idp, as), {
    auth: { method: 'client_secret_post', clientId: 'nobody', secret: 'x' },
  })
  const { status, body } = await readRefusal(res)
  assert.equal(status, 401)
  assert.equal(body.error, 'invalid_client')
})

test('AS-07 answers a missing assertion with invalid_request', async () => {
  const { status, body } = await readRefusal(await redeem(as, undefined))
  assert.equal(status, 400)
  assert.deepEqual(body, { error: 'invalid_request', error_description: 'the "assertion" parameter is required' })
})

test('AS-07 answers a duplicated assertion with invalid_request', async () => {
  const assertion = await mintIdJag(idp, as)
  const { status, body } = await readRefusal(await redeem(as, assertion, { extra: [['assertion', assertion]] }))
  assert.equal(status, 400)
  assert.equal(body.error, 'invalid_request')
})

test('AS-07 answers an unsupported grant type with unsupported_grant_type', async () => {
  const { status, body } = await readRefusal(await redeem(as, undefined, { grantType: 'client_credentials' }))
  assert.equal(status, 400)
  assert.equal(body.error, 'unsupported_grant_type')
})

test('AS-38 refuses the refresh_token grant as unsupported', async () => {
  const { status, body } = await readRefusal(
    await redeem(as, undefined, { grantType: 'refresh_token', extra: [['refresh_token', 'x']] }),
  )
  assert.equal(status, 400)
  assert.equal(body.error, 'unsupported_grant_type')
})
