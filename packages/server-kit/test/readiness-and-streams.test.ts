import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLogger, gracefulShutdown, isNonEmptyJwks, listen, OpenStreams, urlReadiness } from '../src/index.ts'

const quiet = createLogger({ name: 'test', write: () => {} })

test('urlReadiness: ready after an accepted answer, cached while fresh, stale-if-error, then unready', async () => {
  let clock = 0
  let answer: { status: number; body: unknown } | 'down' = { status: 200, body: { keys: [{ kty: 'EC' }] } }
  let fetches = 0
  const fakeFetch = (async () => {
    fetches++
    if (answer === 'down') throw new TypeError('fetch failed')
    return new Response(JSON.stringify(answer.body), { status: answer.status })
  }) as typeof fetch
  const ready = urlReadiness('http://as.example/jwks', {
    fetch: fakeFetch,
    accept: isNonEmptyJwks,
    freshForMs: 1000,
    staleIfErrorMs: 5000,
    now: () => clock,
  })
  await ready()
  await ready()
  assert.equal(fetches, 1, 'a fresh success is not fetched again')
  answer = 'down'
  clock = 2000
  await ready() // the last success is 2 s old: still within staleIfErrorMs
  assert.equal(fetches, 2)
  clock = 6000
  await assert.rejects(ready())
  answer = { status: 200, body: { keys: [] } }
  await assert.rejects(ready(), /unexpected document/)
  answer = { status: 503, body: {} }
  await assert.rejects(ready(), /503/)
  answer = { status: 200, body: { keys: [{ kty: 'EC' }] } }
  await ready()
})

test('urlReadiness: never ready before a first success', async () => {
  const ready = urlReadiness('http://127.0.0.1:9/none', { accept: () => true, timeoutMs: 500 })
  await assert.rejects(ready())
})

test('gracefulShutdown calls onDrain at once, so an open event stream does not hold the drain until the deadline', async () => {
  const streams = new OpenStreams()
  const server = await listen({ port: 0 }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.write(': open\n\n')
    streams.add(res)
  })
  const response = await fetch(server.url)
  const reader = response.body!.getReader()
  await reader.read()
  assert.equal(streams.size, 1)
  let exitCode: number | undefined
  const shutdown = gracefulShutdown({
    servers: [server.server],
    log: quiet,
    timeoutMs: 5000,
    signals: [],
    onDrain: () => streams.endAll(),
    exit: (code) => {
      exitCode = code
    },
  })
  const started = Date.now()
  await shutdown.shutDown('test')
  assert.equal(exitCode, 0)
  assert.ok(Date.now() - started < 2000, 'well before the deadline')
  for (;;) if ((await reader.read()).done) break
})

test('OpenStreams: a write after the drain ended a stream is dropped, not an unhandled error; a stream added later is ended at once', async () => {
  const streams = new OpenStreams()
  let late: Promise<string> | undefined
  const server = await listen({ port: 0 }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.write(': open\n\n')
    streams.add(res)
    if (streams.ended) return
    setTimeout(() => res.write(': too late\n\n'), 50) // as a heartbeat would
  })
  try {
    const first = await fetch(server.url)
    const body = first.text()
    await new Promise((resolve) => setTimeout(resolve, 10))
    streams.endAll()
    assert.equal(streams.ended, true)
    assert.equal(await body, ': open\n\n')
    late = fetch(server.url).then((response) => response.text())
    assert.equal(await late, ': open\n\n', 'ended at once')
    await new Promise((resolve) => setTimeout(resolve, 100)) // the late write happens: no crash
    assert.equal(streams.size, 0)
  } finally {
    await server.close()
  }
})
