import assert from 'node:assert/strict'
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, test } from 'node:test'
import {
  assertTrustworthyUrl,
  generateSigningKey,
  InvalidGrantError,
  publicJwks,
  remoteKeySet,
  signIdJag,
  type SigningKey,
  TemporarilyUnavailableError,
  verifyIdJag,
} from '../src/index.ts'

const IDP = 'https://idp.example.com'
const AS = 'https://as.example.com'
const key = await generateSigningKey()

function assertRefusedUrl(fn: () => unknown, href: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TypeError, `expected TypeError, got ${String(error)}`)
    assert.match(error.message, href)
    assert.match(error.message, /is not https; plain http is allowed only to a loopback host with allowInsecureHttp/)
    return true
  })
}

async function listen(handler: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { server, url: `http://127.0.0.1:${port}/jwks` }
}
const close = (server: Server) =>
  new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))

async function assertTemporarilyUnavailable(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(
      error instanceof TemporarilyUnavailableError,
      `expected TemporarilyUnavailableError, got ${String(error)}`,
    )
    assert.equal(error.error, 'temporarily_unavailable')
    assert.equal(error.status, 503)
    assert.match(error.description, /keys of the ID-JAG issuer cannot be fetched right now/)
    return true
  })
}

describe('assertTrustworthyUrl', () => {
  for (const href of ['https://idp.example.com/jwks', 'https://localhost/jwks', 'https://127.0.0.1:8443/jwks']) {
    for (const allow of [false, true]) {
      test(`AS-15 SEC-01 accepts ${href} (allowInsecureHttp ${allow})`, () => {
        assert.doesNotThrow(() => assertTrustworthyUrl(new URL(href), allow))
      })
    }
  }

  const loopback = [
    'http://localhost:3000/jwks',
    'http://127.0.0.1:3000/jwks',
    'http://127.1.2.3/jwks',
    'http://[::1]:3000/jwks',
  ]
  for (const href of loopback) {
    test(`AS-15 SEC-01 refuses ${href} without allowInsecureHttp`, () => {
      assertRefusedUrl(() => assertTrustworthyUrl(new URL(href), false), /^http:\/\//)
    })
    test(`AS-15 SEC-01 allows ${href} with allowInsecureHttp`, () => {
      assert.doesNotThrow(() => assertTrustworthyUrl(new URL(href), true))
    })
  }

  const remote = [
    'http://idp.example.com/jwks',
    'http://10.0.0.1/jwks',
    'http://192.168.1.1/jwks',
    'http://localhost.evil.com/jwks',
    'http://127.0.0.1.nip.io/jwks',
    'http://evil.com#@localhost/jwks',
    'http://[::2]/jwks',
  ]
  for (const href of remote) {
    test(`AS-15 SEC-01 refuses ${href} even with allowInsecureHttp`, () => {
      assertRefusedUrl(() => assertTrustworthyUrl(new URL(href), true), /^http:\/\//)
    })
  }

  for (const href of ['ftp://localhost/jwks', 'file:///etc/jwks.json', 'ws://localhost/jwks']) {
    test(`AS-15 SEC-01 refuses the non-http scheme ${href.split(':')[0]} even with allowInsecureHttp`, () => {
      assertRefusedUrl(() => assertTrustworthyUrl(new URL(href), true), /is not https/)
    })
  }

  test('AS-15 remoteKeySet refuses an insecure JWKS URL at construction', () => {
    assertRefusedUrl(() => remoteKeySet('http://idp.example.com/jwks'), /idp\.example\.com/)
    assertRefusedUrl(() => remoteKeySet('http://localhost:1/jwks'), /localhost/)
    assertRefusedUrl(
      () => remoteKeySet('http://idp.example.com/jwks', { allowInsecureHttp: true }),
      /idp\.example\.com/,
    )
  })
})

describe('remoteKeySet', () => {
  const servers: Server[] = []
  after(async () => {
    for (const server of servers) if (server.listening) await close(server)
  })

  test('AS-13 AS-15 verifies an ID-JAG against a JWKS served over HTTP (loopback demo)', async () => {
    let fetches = 0
    const { server, url } = await listen((_req, res) => {
      fetches++
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(publicJwks([key])))
    })
    servers.push(server)
    const keys = remoteKeySet(url, { allowInsecureHttp: true, timeoutMs: 2000 })
    const now = new Date()
    const options = { issuerKeys: (iss: string) => (iss === IDP ? keys : undefined), audience: AS, now }
    const idJag = await signIdJag({ issuer: IDP, audience: AS, subject: 'u', clientId: 'c', now, key })
    assert.equal((await verifyIdJag(idJag, options)).sub, 'u')
    assert.equal((await verifyIdJag(idJag, options)).sub, 'u')
    assert.equal(fetches, 1, 'the key set is cached')
  })

  test('AS-15 an unknown kid refetches at most once per cooldown and is refused', async () => {
    let fetches = 0
    const { server, url } = await listen((_req, res) => {
      fetches++
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(publicJwks([key])))
    })
    servers.push(server)
    const keys = remoteKeySet(url, { allowInsecureHttp: true })
    const stranger = await generateSigningKey()
    const now = new Date()
    const options = { issuerKeys: () => keys, audience: AS, now }
    const good = await signIdJag({ issuer: IDP, audience: AS, subject: 'u', clientId: 'c', now, key })
    await verifyIdJag(good, options)
    const bad = await signIdJag({ issuer: IDP, audience: AS, subject: 'u', clientId: 'c', now, key: stranger })
    for (let i = 0; i < 3; i++) {
      await assert.rejects(verifyIdJag(bad, options), (error: unknown) => {
        assert.ok(error instanceof InvalidGrantError)
        assert.equal(error.error, 'invalid_grant')
        assert.match(error.description, /no key of the ID-JAG issuer matches its "kid"/)
        return true
      })
    }
    assert.ok(fetches <= 2, `expected at most one refetch, saw ${fetches} fetches`)
  })

  describe('stale-if-error (decision 0014)', () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    /** A JWKS endpoint whose answer a test sets: the published keys, or a failure. */
    async function jwksEndpoint() {
      const state = { published: [key] as SigningKey[], mode: 'serve' as 'serve' | 'down' | 'private', fetches: 0 }
      const { server, url } = await listen((_req, res) => {
        state.fetches++
        if (state.mode === 'down') res.writeHead(500).end('down')
        else if (state.mode === 'private')
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ keys: state.published.map((k) => k.privateJwk) }))
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(publicJwks(state.published)))
      })
      servers.push(server)
      return { state, url }
    }
    const verifyWith = async (keys: ReturnType<typeof remoteKeySet>, signer: SigningKey = key) => {
      const now = new Date()
      const idJag = await signIdJag({ issuer: IDP, audience: AS, subject: 'u', clientId: 'c', now, key: signer })
      return verifyIdJag(idJag, { issuerKeys: () => keys, audience: AS, now })
    }

    test('AS-15 once the cache is stale, an outage is served from the last good set, told once per outage', async () => {
      const { state, url } = await jwksEndpoint()
      const told: number[] = []
      const keys = remoteKeySet(url, {
        allowInsecureHttp: true,
        cacheMaxAgeMs: 1,
        cooldownMs: 0,
        onStaleKeys: (_cause, age) => told.push(age),
      })
      assert.equal((await verifyWith(keys)).sub, 'u')
      await sleep(5)
      state.mode = 'down'
      assert.equal((await verifyWith(keys)).sub, 'u')
      assert.equal((await verifyWith(keys)).sub, 'u')
      assert.equal(told.length, 1)
      state.mode = 'serve'
      await sleep(5)
      assert.equal((await verifyWith(keys)).sub, 'u') // recovered
      state.mode = 'down'
      await sleep(5)
      assert.equal((await verifyWith(keys)).sub, 'u')
      assert.equal(told.length, 2) // a new outage is told again
    })

    test('AS-15 the window is counted from the last successful fetch, not from the last use of the cached set', async () => {
      const { state, url } = await jwksEndpoint()
      // Wide margins: a loaded CI machine must not turn the cached use into a refetch.
      const keys = remoteKeySet(url, {
        allowInsecureHttp: true,
        cacheMaxAgeMs: 1000,
        cooldownMs: 0,
        staleIfErrorMs: 1500,
      })
      assert.equal((await verifyWith(keys)).sub, 'u') // fetched
      await sleep(300)
      assert.equal((await verifyWith(keys)).sub, 'u') // from the cache, no fetch
      assert.equal(state.fetches, 1)
      await sleep(1400) // over 1700 ms after the only fetch, 1400 ms after the last use
      state.mode = 'down'
      await assertTemporarilyUnavailable(verifyWith(keys))
    })

    test('AS-15 a key the endpoint has removed is never accepted again, not even during an outage', async () => {
      const { state, url } = await jwksEndpoint()
      const k2 = await generateSigningKey()
      state.published = [key, k2]
      const keys = remoteKeySet(url, { allowInsecureHttp: true, cacheMaxAgeMs: 1, cooldownMs: 0 })
      assert.equal((await verifyWith(keys, key)).sub, 'u')
      state.published = [k2] // key removed (revoked)
      await sleep(5)
      await assert.rejects(verifyWith(keys, key), (error: unknown) => error instanceof InvalidGrantError)
      state.mode = 'down'
      await sleep(5)
      await assertTemporarilyUnavailable(verifyWith(keys, key)) // not accepted from an older set
      assert.equal((await verifyWith(keys, k2)).sub, 'u') // the current key still works
    })

    test('AS-15 an endpoint that publishes a private key is not an outage: refused, never served from the last good set', async () => {
      const { state, url } = await jwksEndpoint()
      const keys = remoteKeySet(url, { allowInsecureHttp: true, cacheMaxAgeMs: 1, cooldownMs: 0 })
      assert.equal((await verifyWith(keys)).sub, 'u')
      state.mode = 'private'
      await sleep(5)
      await assertTemporarilyUnavailable(verifyWith(keys))
    })

    test('AS-15 during an outage the endpoint is tried once per cooldown, not by every request', async () => {
      const { state, url } = await jwksEndpoint()
      const keys = remoteKeySet(url, { allowInsecureHttp: true, cacheMaxAgeMs: 1, cooldownMs: 10_000 })
      assert.equal((await verifyWith(keys)).sub, 'u')
      await sleep(5)
      state.mode = 'down'
      const before = state.fetches
      for (let i = 0; i < 5; i++) assert.equal((await verifyWith(keys)).sub, 'u')
      assert.equal(state.fetches - before, 1)
    })

    test('AS-15 staleIfErrorMs 0 turns the fallback off; a bad value is refused at construction', async () => {
      const { state, url } = await jwksEndpoint()
      const keys = remoteKeySet(url, { allowInsecureHttp: true, cacheMaxAgeMs: 1, cooldownMs: 0, staleIfErrorMs: 0 })
      assert.equal((await verifyWith(keys)).sub, 'u')
      await sleep(5)
      state.mode = 'down'
      await assertTemporarilyUnavailable(verifyWith(keys))
      for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
        assert.throws(
          () => remoteKeySet(url, { allowInsecureHttp: true, staleIfErrorMs: bad }),
          /staleIfErrorMs must be a finite number/,
        )
      }
    })
  })

  test('AS-15 a JWKS server stopped before the first fetch gives temporarily_unavailable (503)', async () => {
    const { server, url } = await listen((_req, res) => res.end('{}'))
    await close(server)
    const keys = remoteKeySet(url, { allowInsecureHttp: true, timeoutMs: 2000 })
    const now = new Date()
    const idJag = await signIdJag({ issuer: IDP, audience: AS, subject: 'u', clientId: 'c', now, key })
    await assertTemporarilyUnavailable(verifyIdJag(idJag, { issuerKeys: () => keys, audience: AS, now }))
  })

  test('AS-15 a JWKS endpoint answering 500 gives temporarily_unavailable', async () => {
    const { server, url } = await listen((_req, res) => res.writeHead(500).end('oops'))
    servers.push(server)
    const keys = remoteKeySet(url, { allowInsecureHttp: true, timeoutMs: 2000 })
    const now = new Date()
    const idJag = await signIdJag({ issuer: IDP, audience: AS, subject: 'u', clientId: 'c', now, key })
    await assertTemporarilyUnavailable(verifyIdJag(idJag, { issuerKeys: () => keys, audience: AS, now }))
  })

  test('AS-15 a JWKS endpoint that never answers times out as temporarily_unavailable', async () => {
    const { server, url } = await listen(() => {
      /* never respond */
    })
    servers.push(server)
    const keys = remoteKeySet(url, { allowInsecureHttp: true, timeoutMs: 200 })
    const now = new Date()
    const idJag = await signIdJag({ issuer: IDP, audience: AS, subject: 'u', clientId: 'c', now, key })
    await assertTemporarilyUnavailable(verifyIdJag(idJag, { issuerKeys: () => keys, audience: AS, now }))
    server.closeAllConnections()
  })
})
