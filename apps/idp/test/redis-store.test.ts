/**
 * Decision 0040: with Redis, the IdP's sign-ins (sessions, grants, refresh tokens) are shared by every
 * instance and survive a restart; with Redis gone it refuses with 503 temporarily_unavailable (never a
 * 500, never a hang) and serves again when Redis is back, without a restart. A real redis-server.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startRedisServer, type RunningRedisServer } from '@ema/demo-kit'
import { createLogger } from '@ema/server-kit'
import { connectRedis, redisOidcAdapter, RedisRateLimitWindows, type RedisConnection } from '@ema/redis-store'
import { generateSigningKey, TOKEN_TYPE, type SigningKey } from '@ema/tokens'
import { ACME_AGENT, exchange, signInWithRefreshToken, startIdp, type TestIdp } from './support/idp.ts'

const COOKIE_KEYS = 'test-cookie-key-one,test-cookie-key-two'
const PREFIX = 'test:idp'
let redis: RunningRedisServer
const connections: RedisConnection[] = []
const instances: TestIdp[] = []
let signingKey: SigningKey
let jwtClientKey: SigningKey

before(async () => {
  redis = await startRedisServer(process.env.REDIS_SERVER === undefined ? {} : { command: process.env.REDIS_SERVER })
  signingKey = await generateSigningKey('ES256')
  jwtClientKey = await generateSigningKey('ES256')
})
after(async () => {
  await Promise.all(instances.map((instance) => instance.close()))
  await Promise.all(connections.map((connection) => connection.close()))
  await redis.stop()
})

/** One instance of the deployment: its own Redis connection, the deployment's issuer, keys and cookie keys. */
async function startInstance(issuer?: string): Promise<TestIdp> {
  const connection = connectRedis({
    url: redis.url,
    commandTimeoutMs: 300,
    maxReconnectDelayMs: 100,
    log: createLogger({ name: 'redis', write: () => {} }),
  })
  connections.push(connection)
  const instance = await startIdp({
    ...(issuer === undefined ? {} : { issuer }),
    signingKey,
    jwtClientKey,
    env: { IDP_COOKIE_KEYS: COOKIE_KEYS },
    deps: {
      adapter: redisOidcAdapter({ connection, prefix: PREFIX }),
      rateLimitWindows: new RedisRateLimitWindows({ connection, prefix: PREFIX }),
      ready: () => connection.ping(),
    },
  })
  instances.push(instance)
  return instance
}

const exchangeRefreshToken = (at: TestIdp, refreshToken: string) =>
  exchange(
    { url: at.listeningUrl },
    { subject_token: refreshToken, subject_token_type: TOKEN_TYPE.REFRESH_TOKEN },
    ACME_AGENT,
  )

test('IDP-04 IDP-07 a sign-in kept at one instance (its refresh token) works at another, and after the first one is gone', async () => {
  const first = await startInstance()
  const alice = await signInWithRefreshToken(first, {
    client: ACME_AGENT,
    username: 'alice',
    password: 'alice-password',
  })
  const second = await startInstance(first.url)
  const atSecond = await exchangeRefreshToken(second, alice.refreshToken)
  assert.equal(atSecond.status, 200, JSON.stringify(atSecond.body))
  assert.equal(atSecond.body.issued_token_type, TOKEN_TYPE.ID_JAG)

  await first.close() // the instance that signed alice in is gone; a new one starts ("a restart")
  const restarted = await startInstance(first.url)
  const afterRestart = await exchangeRefreshToken(restarted, alice.refreshToken)
  assert.equal(afterRestart.status, 200, JSON.stringify(afterRestart.body))
})

test('Redis gone: 503 temporarily_unavailable in OAuth JSON within the timeout (no 500, no hang), /readyz 503, /healthz 200; Redis back: served again without a restart', async () => {
  const idp = await startInstance()
  const alice = await signInWithRefreshToken(idp, { client: ACME_AGENT, username: 'alice', password: 'alice-password' })
  assert.equal((await fetch(`${idp.listeningUrl}/readyz`)).status, 200)

  await redis.stop()
  try {
    const started = Date.now()
    const refused = await exchangeRefreshToken(idp, alice.refreshToken)
    assert.ok(Date.now() - started < 2_000, `answered in ${Date.now() - started} ms`)
    assert.equal(refused.status, 503, JSON.stringify(refused.body))
    assert.deepEqual(Object.keys(refused.body).sort(), ['error', 'error_description'])
    assert.equal(refused.body.error, 'temporarily_unavailable')
    assert.equal(refused.headers.get('cache-control'), 'no-store')
    assert.equal((await fetch(`${idp.listeningUrl}/readyz`)).status, 503)
    assert.equal((await fetch(`${idp.listeningUrl}/healthz`)).status, 200)
    // oidc-provider's own grant (the refresh token loaded by the provider) answers the same way.
    const refresh = await fetch(`${idp.listeningUrl}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('acme-agent:acme-agent-idp-secret').toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: alice.refreshToken }),
    })
    assert.equal(refresh.status, 503)
    assert.equal(((await refresh.json()) as { error?: string }).error, 'temporarily_unavailable')
    assert.ok(!idp.logs.some((line) => line.includes(alice.refreshToken)), 'no token in the logs')
  } finally {
    await redis.start()
  }
  // Back: a new sign-in (Redis restarted empty) and its refresh token work, on the same process.
  const deadline = Date.now() + 5_000
  while ((await fetch(`${idp.listeningUrl}/readyz`)).status !== 200) {
    assert.ok(Date.now() < deadline, 'ready again within 5 s')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const again = await signInWithRefreshToken(idp, { client: ACME_AGENT, username: 'alice', password: 'alice-password' })
  assert.equal((await exchangeRefreshToken(idp, again.refreshToken)).status, 200)
})
