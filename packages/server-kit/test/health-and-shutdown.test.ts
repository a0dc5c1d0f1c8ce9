import assert from 'node:assert/strict'
import { request } from 'node:http'
import { test } from 'node:test'
import { createLogger, gracefulShutdown, healthRoutes, listen } from '../src/index.ts'

const quiet = createLogger({ name: 'test', write: () => {} })

test('/healthz is 200 while the process answers; /readyz follows ready() and draining, no-store, no reason on the wire', async () => {
  let ready = true
  let draining = false
  const health = healthRoutes({
    ready: async () => {
      if (!ready) throw new Error('secret-ish detail')
    },
    draining: () => draining,
    log: quiet,
  })
  const server = await listen({ port: 0 }, (req, res) =>
    health(req, res, () => {
      res.statusCode = 404
      res.end()
    }),
  )
  try {
    const get = async (path: string) => {
      const response = await fetch(`${server.url}${path}`)
      return { status: response.status, cache: response.headers.get('cache-control'), body: await response.text() }
    }
    assert.deepEqual(await get('/healthz'), { status: 200, cache: 'no-store', body: '{"status":"ok"}' })
    assert.deepEqual(await get('/readyz'), { status: 200, cache: 'no-store', body: '{"status":"ready"}' })
    ready = false
    assert.deepEqual(await get('/readyz'), { status: 503, cache: 'no-store', body: '{"status":"unavailable"}' })
    assert.equal((await get('/healthz')).status, 200, 'alive even when not ready')
    ready = true
    draining = true
    assert.equal((await get('/readyz')).status, 503)
    assert.equal((await get('/other')).status, 404, 'other paths pass through')
  } finally {
    await server.close()
  }
})

test('graceful shutdown: stops accepting, lets the request in flight finish, runs the closers, exits 0', async () => {
  const events: string[] = []
  let release: () => void = () => {}
  const server = await listen({ port: 0 }, (_req, res) => {
    new Promise<void>((resolve) => {
      release = resolve
    }).then(() => res.end('done'))
  })
  let exitCode: number | undefined
  const shutdown = gracefulShutdown({
    servers: [server.server],
    log: quiet,
    timeoutMs: 5_000,
    signals: [],
    closers: [
      async () => {
        events.push('store closed')
      },
    ],
    exit: (code) => {
      exitCode = code
    },
  })
  const inFlight = new Promise<string>((resolve, reject) => {
    request(server.url, (res) => {
      let body = ''
      res.on('data', (c) => {
        body += c
      })
      res.on('end', () => resolve(body))
    })
      .on('error', reject)
      .end()
  })
  await new Promise((resolve) => setTimeout(resolve, 100))
  const done = shutdown.shutDown('test')
  assert.equal(shutdown.draining(), true)
  await new Promise((resolve) => setTimeout(resolve, 50))
  await assert.rejects(fetch(server.url), 'no new connection is accepted')
  assert.deepEqual(events, [], 'the store stays open while a request is in flight')
  release()
  assert.equal(await inFlight, 'done')
  await done
  assert.deepEqual(events, ['store closed'])
  assert.equal(exitCode, 0)
})

test('graceful shutdown: a request still running at the deadline is cut, and the role still exits 0', async () => {
  const server = await listen({ port: 0 }, () => {
    /* never answers */
  })
  let exitCode: number | undefined
  const shutdown = gracefulShutdown({
    servers: [server.server],
    log: quiet,
    timeoutMs: 200,
    signals: [],
    exit: (code) => {
      exitCode = code
    },
  })
  const hanging = fetch(server.url).then(
    () => 'answered',
    () => 'cut',
  )
  await new Promise((resolve) => setTimeout(resolve, 50))
  const started = Date.now()
  await shutdown.shutDown('test')
  assert.ok(Date.now() - started < 1_500)
  assert.equal(await hanging, 'cut')
  assert.equal(exitCode, 0)
})
