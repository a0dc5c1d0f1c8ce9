import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { createTokenExchanger, loadClientCertificate, TokenExchangeError } from '../src/index.ts'
import { startFakeSts, type FakeSts } from './support/fake-sts.ts'

// OBO-07, OBO-21, RFC 8705 §2.1: the exchanger authenticates with a client certificate over mTLS.
// The test makes a throw-away CA and two certificates with the openssl command line (skipped without it).

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

let dir = ''
let sts: FakeSts | undefined
const file = (name: string) => join(dir, name)

before(async () => {
  if (!hasOpenssl) return
  dir = mkdtempSync(join(tmpdir(), 'obo-mtls-'))
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  const key = (name: string) =>
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name)
  key('ca-key.pem')
  openssl('req', '-x509', '-new', '-key', 'ca-key.pem', '-subj', '/CN=Test CA', '-days', '1', '-out', 'ca.pem')
  const issue = (name: string, subject: string, ext: string) => {
    key(`${name}-key.pem`)
    openssl('req', '-new', '-key', `${name}-key.pem`, '-subj', subject, '-out', `${name}.csr`)
    writeFileSync(file(`${name}.ext`), ext)
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    )
  }
  issue('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n')
  issue('client', '/CN=tasks-mcp-server', 'extendedKeyUsage=clientAuth\n')
  sts = await startFakeSts({
    cert: readFileSync(file('server.pem'), 'utf8'),
    key: readFileSync(file('server-key.pem'), 'utf8'),
    ca: readFileSync(file('ca.pem'), 'utf8'),
  })
})
after(async () => {
  await sts?.close()
  if (dir !== '') rmSync(dir, { recursive: true, force: true })
})

test(
  'OBO-07 OBO-21 tls_client_auth: the certificate from files is presented, client_id travels in the body, no Authorization header',
  { skip: !hasOpenssl && 'no openssl' },
  async () => {
    const exchanger = createTokenExchanger({
      tokenUrl: sts!.tokenUrl,
      clientId: 'tasks-mcp-server',
      clientCertificate: { certFile: file('client.pem'), keyFile: file('client-key.pem'), caFile: file('ca.pem') },
      audience: 'http://localhost:4004',
    })
    const token = await exchanger.exchange({ subjectToken: 'subject', user: 'alice', scope: 'tasks.read' })
    assert.equal(token.trace.request.client_authentication, 'tls_client_auth')
    const request = sts!.requests.at(-1)!
    assert.equal(request.clientCertCn, 'tasks-mcp-server')
    assert.equal(request.authorization, undefined)
    assert.equal(request.form.get('client_id'), 'tasks-mcp-server')
    assert.equal(request.form.get('client_secret'), null)
  },
)

test('OBO-21 the certificate may be given as PEM strings', { skip: !hasOpenssl && 'no openssl' }, async () => {
  const pem = loadClientCertificate({
    certFile: file('client.pem'),
    keyFile: file('client-key.pem'),
    caFile: file('ca.pem'),
  })
  const exchanger = createTokenExchanger({
    tokenUrl: sts!.tokenUrl,
    clientId: 'tasks-mcp-server',
    clientCertificate: { cert: pem.cert, key: pem.key, ca: pem.ca! },
    audience: 'http://localhost:4004',
  })
  await exchanger.exchange({ subjectToken: 'subject', user: 'alice' })
  assert.equal(sts!.requests.at(-1)!.clientCertCn, 'tasks-mcp-server')
})

test(
  'without a client certificate the mTLS endpoint refuses the handshake: unavailable, never a hang',
  { skip: !hasOpenssl && 'no openssl' },
  async () => {
    const exchanger = createTokenExchanger({
      tokenUrl: sts!.tokenUrl,
      clientId: 'tasks-mcp-server',
      clientSecret: 's',
      caFile: file('ca.pem'),
      audience: 'http://localhost:4004',
      timeoutMs: 2000,
    })
    await assert.rejects(
      exchanger.exchange({ subjectToken: 'subject', user: 'alice' }),
      (error: unknown) => error instanceof TokenExchangeError && error.kind === 'unavailable',
    )
  },
)

test(
  'an untrusted server certificate (no CA configured) is refused: unavailable',
  { skip: !hasOpenssl && 'no openssl' },
  async () => {
    const exchanger = createTokenExchanger({
      tokenUrl: sts!.tokenUrl,
      clientId: 'tasks-mcp-server',
      clientCertificate: { certFile: file('client.pem'), keyFile: file('client-key.pem') },
      audience: 'http://localhost:4004',
    })
    await assert.rejects(
      exchanger.exchange({ subjectToken: 'subject', user: 'alice' }),
      (error: unknown) =>
        error instanceof TokenExchangeError && error.kind === 'unavailable' && /certificate/i.test(error.message),
    )
  },
)

test('a certificate file that cannot be read → misconfigured, naming the file but no content', async () => {
  const exchanger = createTokenExchanger({
    tokenUrl: 'https://localhost:1/token',
    clientId: 'c',
    clientCertificate: { certFile: '/nonexistent/client.pem', keyFile: '/nonexistent/key.pem' },
    audience: 'a',
  })
  await assert.rejects(
    exchanger.exchange({ subjectToken: 'subject', user: 'alice' }),
    (error: unknown) =>
      error instanceof TokenExchangeError &&
      error.kind === 'misconfigured' &&
      /\/nonexistent\/client\.pem \(ENOENT\)/.test(error.message),
  )
  assert.throws(
    () => loadClientCertificate({ certFile: '/nonexistent/client.pem', keyFile: '/nonexistent/key.pem' }),
    /ENOENT/,
  )
})
