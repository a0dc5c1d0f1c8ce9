import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createAuditLog, parseAuditDestination, type AuditEvent, type AuditTrail } from '../src/index.ts'

const NOW = new Date('2026-01-02T03:04:05.000Z')

test("an audit event is one JSON line: time, role, event, decision first, then the role's own fields", () => {
  const lines: string[] = []
  const audit = createAuditLog({
    role: 'idp',
    destination: { kind: 'stdout' },
    now: () => NOW,
    write: (line) => lines.push(line),
  })
  const event = audit.record({
    event: 'token_exchange',
    decision: 'granted',
    jti: 'j-1',
    user: 'alice',
    scope_granted: 'tasks.read',
  })
  assert.equal(lines.length, 1)
  assert.deepEqual(JSON.parse(lines[0]!), {
    time: '2026-01-02T03:04:05.000Z',
    role: 'idp',
    event: 'token_exchange',
    decision: 'granted',
    jti: 'j-1',
    user: 'alice',
    scope_granted: 'tasks.read',
  })
  assert.deepEqual(Object.keys(event).slice(0, 4), ['time', 'role', 'event', 'decision'])
})

test('SEC-05 an audit event never carries a credential: credential-named fields and JWT-shaped strings are replaced', () => {
  const lines: string[] = []
  const audit = createAuditLog({ role: 'idp', destination: { kind: 'stdout' }, write: (line) => lines.push(line) })
  const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1LTEwMDEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ'
  audit.record({
    event: 'token_exchange',
    decision: 'refused',
    subject_token: jwt,
    client_secret: 's3cret-value',
    password: 'alice-password',
    error_description: `could not read ${jwt} at all`,
    nested: { assertion: jwt, list: [jwt] },
  })
  const line = lines[0]!
  assert.ok(!line.includes('c2lnbmF0dXJlLXNpZ25hdHVyZQ'), line)
  assert.ok(!line.includes('s3cret-value') && !line.includes('alice-password'), line)
  assert.match(line, /could not read \[redacted JWT\] at all/)
})

test('AUDIT_LOG: unset and stdout write to stdout, off writes nothing, anything else is a file of JSON lines', async () => {
  assert.deepEqual(parseAuditDestination(undefined), { kind: 'stdout' })
  assert.deepEqual(parseAuditDestination(''), { kind: 'stdout' })
  assert.deepEqual(parseAuditDestination('stdout'), { kind: 'stdout' })
  assert.deepEqual(parseAuditDestination('off'), { kind: 'off' })
  assert.deepEqual(parseAuditDestination('/var/log/idp-audit.jsonl'), {
    kind: 'file',
    path: '/var/log/idp-audit.jsonl',
  })
  assert.throws(() => parseAuditDestination('a\nb'), /AUDIT_LOG must be stdout, off or a file path/)

  const path = join(mkdtempSync(join(tmpdir(), 'audit-')), 'nested', 'audit.jsonl')
  const audit = createAuditLog({ role: 'idp', destination: { kind: 'file', path } })
  audit.record({ event: 'token_exchange', decision: 'granted', jti: 'a' })
  audit.record({ event: 'token_exchange', decision: 'refused' })
  const written = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
  assert.deepEqual(
    written.map((event) => event.decision),
    ['granted', 'refused'],
  )

  const silent = createAuditLog({
    role: 'idp',
    destination: { kind: 'off' },
    write: () => assert.fail('off writes nothing'),
  })
  silent.record({ event: 'x', decision: 'granted' })
  assert.equal((await silent.recent()).length, 1, 'still kept for the admin view')
})

test('recent() is newest first and bounded by keep; an unwritable file never throws', async () => {
  const failures: unknown[] = []
  const aFile = join(mkdtempSync(join(tmpdir(), 'audit-')), 'a-file')
  writeFileSync(aFile, '')
  const audit = createAuditLog({
    role: 'idp',
    destination: { kind: 'file', path: join(aFile, 'audit.jsonl') },
    keep: 2,
    onWriteError: (error) => failures.push(error),
  })
  for (const jti of ['1', '2', '3']) audit.record({ event: 'token_exchange', decision: 'granted', jti })
  assert.deepEqual(
    (await audit.recent()).map((event) => event.jti),
    ['3', '2'],
  )
  assert.equal(failures.length, 1, 'reported once')
})

test('a trail that cannot keep an event is reported once per outage; the line is still written and record never throws', async () => {
  const failures: unknown[] = []
  const lines: string[] = []
  let failing = true
  const kept: AuditEvent[] = []
  const trail: AuditTrail = {
    append: async (event) => {
      if (failing) throw new Error('store down')
      kept.push(event)
    },
    recent: async () => kept.slice().reverse(),
  }
  const audit = createAuditLog({
    role: 'idp',
    destination: { kind: 'stdout' },
    write: (line) => lines.push(line),
    trail,
    onWriteError: (error) => failures.push(error),
  })
  audit.record({ event: 'token_exchange', decision: 'granted', jti: '1' })
  audit.record({ event: 'token_exchange', decision: 'granted', jti: '2' })
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(lines.length, 2, 'written for the SIEM whatever the trail')
  assert.equal(failures.length, 1, 'one report per outage')
  failing = false
  audit.record({ event: 'token_exchange', decision: 'granted', jti: '3' })
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(
    (await audit.recent()).map((event) => event.jti),
    ['3'],
  )
  failing = true
  audit.record({ event: 'token_exchange', decision: 'refused', jti: '4' })
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(failures.length, 2, 'a new outage is reported again')
})
