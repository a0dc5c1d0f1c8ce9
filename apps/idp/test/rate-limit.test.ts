/**
 * IDP-27, SEC-07: the IdP token endpoint is rate-limited per client (decision 0010). A test instance
 * allows 3 requests per client per minute, on a clock the test moves.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createLogger, listen, type Listening } from '@ema/server-kit'
import { generateSigningKey } from '@ema/tokens'
import { createIdpApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import {
  ACME_AGENT,
  AS_ISSUER,
  CLIENT_URL,
  REDIRECT_URI,
  RS_RESOURCE,
  exchange,
  type ClientAuth,
} from './support/idp.ts'

const LIMIT = 3
const OTHER: ClientAuth = { method: 'client_secret_basic', clientId: 'other-app', secret: 'other-app-secret' }
let clock = Date.parse('2030-01-01T00:00:00Z')
let idp: Listening

before(async () => {
  idp = await listen({ port: 0 })
  const base = loadConfig({
    IDP_ISSUER: idp.url,
    AS_ISSUER,
    RS_RESOURCE,
    CLIENT_URL,
    ALLOW_INSECURE_HTTP: 'true',
    TOKEN_RATE_LIMIT_PER_MINUTE: String(LIMIT),
  })
  const config = {
    ...base,
    clients: [
      ...base.clients,
      {
        client_id: OTHER.clientId,
        client_secret: 'other-app-secret',
        token_endpoint_auth_method: 'client_secret_basic' as const,
        redirect_uris: [REDIRECT_URI],
        clientIdAtAuthorizationServer: { [AS_ISSUER]: 'other-app-at-as' },
      },
    ],
  }
  const log = createLogger({ name: 'idp', write: () => {} })
  idp.server.on(
    'request',
    createIdpApp(config, { signingKey: await generateSigningKey('ES256'), now: () => new Date(clock), log }),
  )
})
after(() => idp.close())

/** A token exchange the IdP refuses (400 invalid_grant) after authenticating the client: it still counts. */
const attempt = (auth: ClientAuth = ACME_AGENT) => exchange(idp, { subject_token: 'not-a-jwt' }, auth)

test('IDP-27 SEC-07 the request over the per-client limit gets 429 temporarily_unavailable with Retry-After; another client and the next window are unaffected', async () => {
  for (let i = 0; i < LIMIT; i++) assert.equal((await attempt()).status, 400, `request ${i + 1} is within the limit`)

  clock += 1_500
  const limited = await attempt()
  assert.equal(limited.status, 429)
  assert.equal(limited.headers.get('retry-after'), '59')
  assert.equal(limited.body.error, 'temporarily_unavailable')
  assert.equal(typeof limited.body.error_description, 'string')
  assert.equal('access_token' in limited.body, false)

  assert.equal((await attempt(OTHER)).status, 400, 'another client has its own window')

  clock += 58_500
  assert.equal((await attempt()).status, 400, 'a new window starts after a minute')
})

test('IDP-27 SEC-07 TOKEN_RATE_LIMIT_PER_MINUTE is validated and 0 switches the limit off', () => {
  const env = { IDP_ISSUER: 'http://localhost:4901', ALLOW_INSECURE_HTTP: 'true' }
  assert.equal(loadConfig(env).tokenRateLimitPerMinute, 600)
  assert.equal(loadConfig({ ...env, TOKEN_RATE_LIMIT_PER_MINUTE: '0' }).tokenRateLimitPerMinute, 0)
  assert.throws(() => loadConfig({ ...env, TOKEN_RATE_LIMIT_PER_MINUTE: '-1' }), /TOKEN_RATE_LIMIT_PER_MINUTE/)
})
