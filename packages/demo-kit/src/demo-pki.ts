import { X509Certificate, createPrivateKey } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CertificateAndKey } from './issue-certificate.ts'

/** The demo PKI's files (PEM), as the contract names them (docs/demo-world.md). */
export interface DemoPki {
  dir: string
  /** The demo CA: the AS trusts client certificates it issued; clients trust the AS's server certificate through it. */
  caFile: string
  caKeyFile: string
  /** The AS's mTLS endpoint alias (SAN DNS:localhost, IP:127.0.0.1; serverAuth). */
  serverCertFile: string
  serverKeyFile: string
  /** The MCP server's client certificate (subject CN=tasks-mcp-server; clientAuth), RFC 8705 tls_client_auth. */
  clientCertFile: string
  clientKeyFile: string
  /** True when this call made the files (first run, or the old ones were unusable or about to expire). */
  created: boolean
}

/** The MCP server's client certificate subject (RFC 8705 §2.1.2 `tls_client_auth_subject_dn`). */
export const DEMO_CLIENT_SUBJECT_DN = 'CN=tasks-mcp-server'
const RENEW_BEFORE_MS = 7 * 86_400_000

/**
 * Makes the demo PKI once per checkout in `dir` (git-ignored `.demo/pki/`): a CA, the authorization
 * server's TLS certificate for its mTLS endpoint alias, and the MCP server's client certificate.
 * Existing files are reused while they form a valid set (each leaf issued and signed by the CA, each key
 * matching its certificate, none expiring within a week); otherwise the whole set is made afresh.
 * Private keys are written owner-only. Demo material: never use it outside localhost.
 */
export async function ensureDemoPki(dir: string): Promise<DemoPki> {
  const files = {
    dir,
    caFile: join(dir, 'ca.pem'),
    caKeyFile: join(dir, 'ca-key.pem'),
    serverCertFile: join(dir, 'as-server.pem'),
    serverKeyFile: join(dir, 'as-server-key.pem'),
    clientCertFile: join(dir, 'tasks-mcp-server.pem'),
    clientKeyFile: join(dir, 'tasks-mcp-server-key.pem'),
  }
  if (isUsable(files)) return { ...files, created: false }

  // The certificate generator (@peculiar/x509) is loaded only to make the files: most starts reuse them.
  const { issueCertificate } = await import('./issue-certificate.ts')
  const ca = await issueCertificate({
    subject: 'CN=EMA Demo CA,O=MCP Enterprise-Managed Authorization demo',
    usage: 'ca',
  })
  const server = await issueCertificate({
    subject: 'CN=localhost',
    usage: 'server',
    issuer: ca,
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
  })
  const client = await issueCertificate({ subject: DEMO_CLIENT_SUBJECT_DN, usage: 'client', issuer: ca })
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  // Each file is written beside its place and renamed into it, so a reader never sees half a file.
  // Another process making the set at the same moment may win some files; the next start then finds
  // a mismatched set and makes it afresh.
  const write = (file: string, text: string, mode: number) => {
    const temporary = `${file}.${process.pid}.tmp`
    writeFileSync(temporary, text, { mode })
    renameSync(temporary, file)
  }
  const pairs: Array<[CertificateAndKey, string, string]> = [
    [ca, files.caFile, files.caKeyFile],
    [server, files.serverCertFile, files.serverKeyFile],
    [client, files.clientCertFile, files.clientKeyFile],
  ]
  for (const [pair, certFile, keyFile] of pairs) {
    rmSync(keyFile, { force: true })
    write(keyFile, pair.key, 0o600)
    write(certFile, pair.cert, 0o644)
  }
  return { ...files, created: true }
}

function isUsable(files: Omit<DemoPki, 'created'>): boolean {
  try {
    const ca = new X509Certificate(readFileSync(files.caFile))
    if (!ca.ca || !fresh(ca) || !ca.checkPrivateKey(createPrivateKey(readFileSync(files.caKeyFile)))) return false
    for (const [certFile, keyFile] of [
      [files.serverCertFile, files.serverKeyFile],
      [files.clientCertFile, files.clientKeyFile],
    ] as const) {
      const leaf = new X509Certificate(readFileSync(certFile))
      if (
        !fresh(leaf) ||
        !leaf.checkIssued(ca) ||
        !leaf.verify(ca.publicKey) ||
        !leaf.checkPrivateKey(createPrivateKey(readFileSync(keyFile)))
      )
        return false
    }
    return true
  } catch {
    return false // missing or unreadable: make the set afresh
  }
}

function fresh(certificate: X509Certificate): boolean {
  return (
    new Date(certificate.validFrom).getTime() <= Date.now() &&
    new Date(certificate.validTo).getTime() - Date.now() > RENEW_BEFORE_MS
  )
}
