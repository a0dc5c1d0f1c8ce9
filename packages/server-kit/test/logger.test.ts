import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLogger, describeCause, parseLogLevel } from '../src/index.ts'

function capture() {
  const lines: string[] = []
  return { lines, log: createLogger({ name: 'test', level: 'debug', write: (line) => lines.push(line) }) }
}

test('SEC-05 CL-34 fields that carry credentials are redacted, whatever their length', () => {
  const { lines, log } = capture()
  const secret = 'eyJhbGciOiJFUzI1NiJ9.' + 'x'.repeat(300)
  log.info('decision', {
    access_token: secret,
    id_token: secret,
    subject_token: secret,
    assertion: secret,
    client_secret: secret,
    password: secret,
    authorization: `Bearer ${secret}`,
    cookie: secret,
    code: secret,
    code_verifier: secret,
  })
  assert.equal(lines.length, 1)
  assert.ok(!lines[0]!.includes('xxxxxxxxxx'), lines[0])
  assert.match(lines[0]!, /"access_token":"\[redacted \d+ chars\]"/)
  assert.match(lines[0]!, /"authorization":"\[redacted \d+ chars\]"/)
})

test('fields that merely mention a credential word are logged as they are', () => {
  const { lines, log } = capture()
  log.info('config', {
    authorization_server: 'http://localhost:4002',
    token_endpoint: 'http://localhost:4002/token',
    jti: 'j-1',
    sub: 'u-1001',
  })
  assert.match(lines[0]!, /"authorization_server":"http:\/\/localhost:4002"/)
  assert.match(lines[0]!, /"token_endpoint":"http:\/\/localhost:4002\/token"/)
  assert.match(lines[0]!, /"jti":"j-1"/)
})

test('lines below the level are dropped and child loggers keep their bound fields', () => {
  const lines: string[] = []
  const log = createLogger({ name: 'test', level: 'warn', write: (line) => lines.push(line) })
  log.info('hidden')
  log.child({ role: 'idp' }).warn('shown')
  assert.equal(lines.length, 1)
  assert.match(lines[0]!, /WARN .*\[test\] shown {"role":"idp"}/)
})

test('parseLogLevel: unset is info; a known level is taken; anything else is refused naming the variable', () => {
  assert.equal(parseLogLevel(undefined), 'info')
  assert.equal(parseLogLevel(''), 'info')
  assert.equal(parseLogLevel('warn'), 'warn')
  assert.throws(() => parseLogLevel('verbose'), /LOG_LEVEL must be one of debug, info, warn, error, got "verbose"/)
  assert.throws(() => parseLogLevel('toString'), /LOG_LEVEL must be one of/) // not an inherited property name
})

test('describeCause: the message, and the reason Node keeps one level down', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
  assert.equal(describeCause(new TypeError('fetch failed', { cause: refused })), 'fetch failed (ECONNREFUSED)')
  assert.equal(describeCause(new Error('outer', { cause: new Error('inner') })), 'outer (inner)')
  assert.equal(describeCause(new Error('plain')), 'plain')
  assert.equal(describeCause('a string'), 'a string')
})
