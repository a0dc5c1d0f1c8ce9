import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exportJWK, generateKeyPair } from 'jose'
import { loadConfig } from '../src/config.ts'

const env = { AS_ISSUER: 'http://localhost:4902', ALLOW_INSECURE_HTTP: 'true' }

test('decision 0040: REDIS_URL selects Redis; REDIS_KEY_PREFIX defaults to the role and issuer; a malformed REDIS_URL is refused without being echoed', () => {
  const memory = loadConfig(env)
  assert.equal(memory.redisUrl, undefined)
  assert.equal(memory.redisKeyPrefix, 'ema:as:http://localhost:4902')
  assert.equal(memory.shutdownTimeoutMs, 10_000)
  const redis = loadConfig({
    ...env,
    REDIS_URL: 'rediss://user:pw@redis.internal:6380',
    REDIS_COMMAND_TIMEOUT_MS: '200',
  })
  assert.equal(redis.redisUrl, 'rediss://user:pw@redis.internal:6380')
  assert.equal(redis.redisCommandTimeoutMs, 200)
  assert.throws(
    () => loadConfig({ ...env, REDIS_URL: 'tcp://pw@host' }),
    (error: unknown) =>
      error instanceof TypeError && /REDIS_URL/.test(error.message) && !error.message.includes('pw@host'),
  )
  assert.throws(() => loadConfig({ ...env, REDIS_COMMAND_TIMEOUT_MS: '0' }), /REDIS_COMMAND_TIMEOUT_MS/)
})

test('AS_SIGNING_KEYS: several keys (rotation), the first signs; one of AS_SIGNING_KEY / AS_SIGNING_KEYS / AS_SIGNING_KEYS_FILE', async () => {
  const jwk = async (kid: string) => ({
    ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)),
    kid,
  })
  const config = loadConfig({
    ...env,
    AS_SIGNING_KEYS: JSON.stringify({ keys: [await jwk('next'), await jwk('now')] }),
  })
  assert.deepEqual(
    config.signingKeys?.map((key) => key.kid),
    ['next', 'now'],
  )
  assert.equal(config.signingKey?.kid, 'next')
  const both = {
    ...env,
    AS_SIGNING_KEY: JSON.stringify(await jwk('a')),
    AS_SIGNING_KEYS: JSON.stringify({ keys: [await jwk('b')] }),
  }
  assert.throws(() => loadConfig(both), /set one of/)
})
