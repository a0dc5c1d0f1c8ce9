import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { test } from 'node:test'
import { listen } from '../src/index.ts'

/** Opens a raw TCP connection to the server and resolves once it is connected. */
function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, 'localhost', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Resolves with the milliseconds until the server closes `socket`, and what it sent before. */
function whenClosed(socket: Socket): Promise<{ afterMs: number; received: string }> {
  const started = Date.now()
  let received = ''
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1')
  })
  socket.on('error', () => {}) // a reset counts as closed
  return new Promise((resolve) => socket.once('close', () => resolve({ afterMs: Date.now() - started, received })))
}

test(
  'SEC-07 slow-loris: a client that dribbles its headers is cut off within headersTimeoutMs (plus the check interval)',
  { timeout: 10_000 },
  async () => {
    const l = await listen({ port: 0, headersTimeoutMs: 500, requestTimeoutMs: 1000 }, (_req, res) => res.end('ok'))
    const socket = await openSocket(l.port)
    const closed = whenClosed(socket)
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n')
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write('X-Slow: a\r\n')
    }, 100) // never the blank line
    try {
      const { afterMs, received } = await closed
      assert.ok(afterMs < 2500, `the socket stayed open ${afterMs} ms`)
      assert.match(
        received,
        /^HTTP\/1\.1 408 |^$/,
        'either 408 Request Timeout or a bare close, never a response to the request',
      )
    } finally {
      clearInterval(drip)
      socket.destroy()
      await l.close()
    }
  },
)

test(
  'SEC-07 slow body: a client that sends headers but dribbles its body is cut off within requestTimeoutMs (plus the check interval)',
  { timeout: 10_000 },
  async () => {
    const l = await listen({ port: 0, headersTimeoutMs: 500, requestTimeoutMs: 1000 }, (req, res) => {
      req.resume()
      req.on('end', () => res.end('ok'))
    })
    const socket = await openSocket(l.port)
    const closed = whenClosed(socket)
    socket.write('POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n')
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write('a')
    }, 100)
    try {
      const { afterMs, received } = await closed
      assert.ok(afterMs < 3000, `the socket stayed open ${afterMs} ms`)
      assert.doesNotMatch(received, /^HTTP\/1\.1 200 /)
    } finally {
      clearInterval(drip)
      socket.destroy()
      await l.close()
    }
  },
)

test("a header block over Node's limit (16 KiB) is answered 431 at once, not hung on", { timeout: 5000 }, async () => {
  const l = await listen({ port: 0 }, (_req, res) => res.end('ok'))
  try {
    const res = await fetch(l.url, { headers: { 'x-big': 'a'.repeat(20_000) } })
    assert.equal(res.status, 431)
    await res.body?.cancel()
  } finally {
    await l.close()
  }
})

test('listen defaults bound headers (10 s) and the whole request (30 s)', async () => {
  const l = await listen({ port: 0 })
  try {
    assert.equal(l.server.headersTimeout, 10_000)
    assert.equal(l.server.requestTimeout, 30_000)
  } finally {
    await l.close()
  }
})
