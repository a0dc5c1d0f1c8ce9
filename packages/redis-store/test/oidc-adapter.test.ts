/**
 * The oidc-provider adapter on a real redis-server (decision 0040): every method of oidc-provider's
 * adapter contract, with TTLs, and failing closed in the shape oidc-provider answers with 503.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { AdapterPayload } from 'oidc-provider'
import {
  grantKey,
  oidcKey,
  ProviderStoreUnavailableError,
  redisOidcAdapter,
  type RedisConnection,
} from '../src/index.ts'
import { readyConnection, startRedisServer, waitUntil, type RunningRedisServer } from './support/redis-server.ts'

let redis: RunningRedisServer
let connection: RedisConnection
const PREFIX = 'test:oidc'
let adapterFor: (model: string) => ReturnType<ReturnType<typeof redisOidcAdapter>>

before(async () => {
  redis = await startRedisServer()
  connection = await readyConnection(redis.url)
  adapterFor = redisOidcAdapter({ connection, prefix: PREFIX })
})
after(async () => {
  await connection.close()
  await redis.stop()
})

describe('redisOidcAdapter', () => {
  test('upsert then find returns the payload; the entry expires after expiresIn', async () => {
    const sessions = adapterFor('Session')
    const payload: AdapterPayload = { uid: 'uid-1', accountId: 'u-1001', loginTs: 1_700_000_000, exp: 1_700_008_000 }
    await sessions.upsert('session-1', payload, 60)
    assert.deepEqual(await sessions.find('session-1'), payload)
    const ttl = await connection.client.pTTL(oidcKey(PREFIX, 'Session', 'session-1'))
    assert.ok(ttl > 59_000 && ttl <= 60_000, `PTTL ${ttl}`)
    assert.equal(await sessions.find('no-such-session'), undefined)

    await sessions.upsert('session-short', { uid: 'uid-short' }, 0.2)
    await new Promise((resolve) => setTimeout(resolve, 350))
    assert.equal(await sessions.find('session-short'), undefined)
    assert.equal(await sessions.findByUid('uid-short'), undefined, 'the uid index expires with it')
  })

  test('an upsert replaces the entry (no field of the old payload survives)', async () => {
    const interactions = adapterFor('Interaction')
    await interactions.upsert(
      'i-1',
      { jti: 'i-1', returnTo: 'https://a', lastSubmission: { login: { accountId: 'x' } } },
      60,
    )
    await interactions.upsert('i-1', { jti: 'i-1', returnTo: 'https://b' }, 60)
    assert.deepEqual(await interactions.find('i-1'), { jti: 'i-1', returnTo: 'https://b' })
  })

  test('findByUid finds a session by its uid; a stale index naming another uid finds nothing', async () => {
    const sessions = adapterFor('Session')
    await sessions.upsert('session-2', { uid: 'uid-2', accountId: 'u-1002' }, 60)
    assert.equal((await sessions.findByUid('uid-2'))?.accountId, 'u-1002')
    assert.equal(await sessions.findByUid('uid-unknown'), undefined)
    await sessions.upsert('session-2', { uid: 'uid-2b', accountId: 'u-1002' }, 60)
    assert.equal(await sessions.findByUid('uid-2'), undefined)
    assert.equal((await sessions.findByUid('uid-2b'))?.accountId, 'u-1002')
  })

  test('findByUserCode finds a device code by its user code', async () => {
    const deviceCodes = adapterFor('DeviceCode')
    await deviceCodes.upsert('dc-1', { userCode: 'ABCD-EFGH', clientId: 'c' }, 60)
    assert.equal((await deviceCodes.findByUserCode('ABCD-EFGH'))?.clientId, 'c')
    assert.equal(await deviceCodes.findByUserCode('ZZZZ-ZZZZ'), undefined)
  })

  test('consume marks the entry consumed (epoch seconds) and keeps its TTL; consuming a missing entry creates nothing', async () => {
    const codes = adapterFor('AuthorizationCode')
    await codes.upsert('code-1', { grantId: 'grant-c', clientId: 'c' }, 60)
    assert.equal((await codes.find('code-1'))?.consumed, undefined)
    const before = Math.floor(Date.now() / 1000)
    await codes.consume('code-1')
    const consumed = (await codes.find('code-1'))?.consumed as number
    assert.ok(consumed >= before && consumed <= before + 1, `consumed ${consumed}`)
    assert.ok((await connection.client.pTTL(oidcKey(PREFIX, 'AuthorizationCode', 'code-1'))) > 0)

    await codes.consume('code-missing')
    assert.equal(await connection.client.exists(oidcKey(PREFIX, 'AuthorizationCode', 'code-missing')), 0)
  })

  test('destroy deletes the entry', async () => {
    const tokens = adapterFor('AccessToken')
    await tokens.upsert('at-1', { grantId: 'grant-d' }, 60)
    await tokens.destroy('at-1')
    assert.equal(await tokens.find('at-1'), undefined)
  })

  test('revokeByGrantId deletes every entry of that grant, of every model, and only those', async () => {
    await adapterFor('AuthorizationCode').upsert('code-g', { grantId: 'grant-r' }, 60)
    await adapterFor('RefreshToken').upsert('rt-g', { grantId: 'grant-r' }, 3_600)
    await adapterFor('AccessToken').upsert('at-g', { grantId: 'grant-r' }, 600)
    await adapterFor('RefreshToken').upsert('rt-other', { grantId: 'grant-other' }, 3_600)
    const ttl = await connection.client.pTTL(grantKey(PREFIX, 'grant-r'))
    assert.ok(ttl > 3_590_000, `the grant index lives as long as its longest entry (PTTL ${ttl})`)

    await adapterFor('Grant').revokeByGrantId('grant-r')
    assert.equal(await adapterFor('AuthorizationCode').find('code-g'), undefined)
    assert.equal(await adapterFor('RefreshToken').find('rt-g'), undefined)
    assert.equal(await adapterFor('AccessToken').find('at-g'), undefined)
    assert.equal(await connection.client.exists(grantKey(PREFIX, 'grant-r')), 0)
    assert.ok(await adapterFor('RefreshToken').find('rt-other'))
  })

  test('an entry without expiresIn does not expire (Client)', async () => {
    const clients = adapterFor('Client')
    await clients.upsert('client-x', { client_id: 'client-x' })
    assert.equal(await connection.client.pTTL(oidcKey(PREFIX, 'Client', 'client-x')), -1)
  })

  test('Redis stopped: every method fails within the timeout in the shape oidc-provider renders as 503 temporarily_unavailable; back: works again', async () => {
    const sessions = adapterFor('Session')
    await redis.stop()
    const calls: Array<() => Promise<unknown>> = [
      () => sessions.find('session-1'),
      () => sessions.upsert('session-3', { uid: 'uid-3' }, 60),
      () => sessions.findByUid('uid-2b'),
      () => sessions.findByUserCode('ABCD-EFGH'),
      () => sessions.consume('session-1'),
      () => sessions.destroy('session-1'),
      () => sessions.revokeByGrantId('grant-x'),
    ]
    for (const call of calls) {
      const started = Date.now()
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(
        error instanceof ProviderStoreUnavailableError,
        `expected ProviderStoreUnavailableError, got ${String(error)}`,
      )
      assert.ok(Date.now() - started < 1_000)
      // What oidc-provider's error handler reads (lib/helpers/err_out.js):
      assert.equal(error.expose, true)
      assert.equal(error.statusCode, 503)
      assert.equal(error.message, 'temporarily_unavailable')
      assert.equal(typeof error.error_description, 'string')
      assert.equal(error.status, 503, 'and our own renderer gives the same answer')
    }
    await redis.start()
    await waitUntil(() => connection.isReady, 5_000)
    await sessions.upsert('session-4', { uid: 'uid-4' }, 60)
    assert.equal((await sessions.findByUid('uid-4'))?.uid, 'uid-4')
  })
})
