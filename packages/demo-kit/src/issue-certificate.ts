import 'reflect-metadata' // @peculiar/x509's dependency injection (tsyringe) needs the Reflect metadata polyfill
import * as x509 from '@peculiar/x509'
import { KeyObject, webcrypto } from 'node:crypto'

/** A certificate and its private key, both PEM (the key PKCS #8). */
export interface CertificateAndKey {
  cert: string
  key: string
}

export interface IssueCertificateOptions {
  /** RFC 4514 subject, e.g. `CN=tasks-mcp-server`. */
  subject: string
  /** The issuing CA; absent → the certificate is self-signed. */
  issuer?: CertificateAndKey
  /** `ca`: may sign certificates; `client`: TLS client (RFC 8705); `server`: TLS server. */
  usage: 'ca' | 'client' | 'server'
  dnsNames?: readonly string[]
  ipAddresses?: readonly string[]
  /** Default: one hour ago. */
  notBefore?: Date
  /** Default: one year after notBefore (five for a CA). */
  notAfter?: Date
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
// Node's WebCrypto is the standard Crypto interface; its type differs between the DOM and Node lib typings.
x509.cryptoProvider.set(webcrypto as never)

/**
 * Issues an X.509 certificate for the demo PKI with a well-kept library (@peculiar/x509), never
 * hand-made ASN.1: an EC P-256 key pair, a random serial, basic constraints, key usage, extended key
 * usage (clientAuth or serverAuth) and subject alternative names. Tests use it for the certificates
 * that must be refused (expired, self-signed, another CA's, another client's).
 */
export async function issueCertificate(options: IssueCertificateOptions): Promise<CertificateAndKey> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000)
  const years = options.usage === 'ca' ? 5 : 1
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + years * 365 * 86_400_000)
  const serialNumber = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1')
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(options.usage === 'ca', options.usage === 'ca' ? 0 : undefined, true),
    new x509.KeyUsagesExtension(
      options.usage === 'ca'
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ]
  if (options.usage !== 'ca') {
    extensions.push(
      new x509.ExtendedKeyUsageExtension([
        options.usage === 'client' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth,
      ]),
    )
  }
  const names = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ]
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names))

  let certificate: x509.X509Certificate
  if (options.issuer === undefined) {
    certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber,
      name: options.subject,
      notBefore,
      notAfter,
      signingAlgorithm: ALGORITHM,
      keys,
      extensions,
    })
  } else {
    const issuerCertificate = new x509.X509Certificate(options.issuer.cert)
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuerCertificate))
    const signingKey = await importPrivateKey(options.issuer.key)
    certificate = await x509.X509CertificateGenerator.create({
      serialNumber,
      subject: options.subject,
      issuer: issuerCertificate.subject,
      notBefore,
      notAfter,
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey,
      extensions,
    })
  }
  const key = KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString()
  return { cert: certificate.toString('pem'), key }
}

async function importPrivateKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = Buffer.from(pem.replace(/-----(BEGIN|END) PRIVATE KEY-----|\s/g, ''), 'base64')
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']) as Promise<webcrypto.CryptoKey>
}
