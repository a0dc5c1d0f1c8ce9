import { test } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEMO_CLIENT_SUBJECT_DN, ensureDemoPki } from '../src/index.ts'

test('RFC 8705 ensureDemoPki makes a CA, the AS server certificate and the tasks-mcp-server client certificate once, then reuses them', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'demo-pki-'))
  const dir = join(parent, 'pki')
  try {
    const pki = await ensureDemoPki(dir)
    assert.equal(pki.created, true)
    const ca = new X509Certificate(readFileSync(pki.caFile))
    const server = new X509Certificate(readFileSync(pki.serverCertFile))
    const client = new X509Certificate(readFileSync(pki.clientCertFile))
    assert.equal(ca.ca, true)
    for (const leaf of [server, client]) {
      assert.equal(leaf.ca, false)
      assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey))
    }
    assert.equal(client.subject, 'CN=tasks-mcp-server')
    assert.equal(DEMO_CLIENT_SUBJECT_DN, 'CN=tasks-mcp-server')
    assert.deepEqual(client.keyUsage, ['1.3.6.1.5.5.7.3.2']) // clientAuth
    assert.deepEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1']) // serverAuth
    assert.match(server.subjectAltName ?? '', /DNS:localhost/)
    assert.match(server.subjectAltName ?? '', /IP Address:127\.0\.0\.1/)
    assert.ok(client.checkPrivateKey(createPrivateKey(readFileSync(pki.clientKeyFile))))
    for (const file of [pki.caKeyFile, pki.serverKeyFile, pki.clientKeyFile])
      assert.equal(statSync(file).mode & 0o077, 0, `${file} is owner-only`)

    const again = await ensureDemoPki(dir)
    assert.equal(again.created, false)
    assert.equal(readFileSync(again.clientCertFile, 'utf8'), readFileSync(pki.clientCertFile, 'utf8'))

    writeFileSync(pki.clientKeyFile, 'not a key') // a broken set is made afresh
    const renewed = await ensureDemoPki(dir)
    assert.equal(renewed.created, true)
    assert.ok(
      new X509Certificate(readFileSync(renewed.clientCertFile)).checkPrivateKey(
        createPrivateKey(readFileSync(renewed.clientKeyFile)),
      ),
    )
  } finally {
    rmSync(parent, { recursive: true, force: true })
  }
})
