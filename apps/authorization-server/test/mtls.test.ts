/**
 * RFC 8705 mutual-TLS client authentication at the authorization server's mTLS endpoint alias, for
 * real: an HTTPS server asking for client certificates, a demo CA, and certificates made with
 * @peculiar/x509 (demo-kit). The MCP server's client (`tls_client_auth`, CN=tasks-mcp-server)
 * exchanges tokens on behalf of users (OBO-07); every certificate that must not authenticate it is
 * refused with 401 `invalid_client`, a description naming the problem, and no token.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:https'
import { X509Certificate } from 'node:crypto'
import { issueCertificate, type CertificateAndKey } from '@ema/demo-kit'
import { TOKEN_TYPE } from '@ema/tokens'
import {
  MCP_SERVER,
  OTHER_MCP_SERVER,
  TASKS_API,
  authenticate,
  decodeJwtParts,
  exchange,
  exchangeForm,
  mintSubjectToken,
  oboClients,
  oboDownstreamApis,
  startOboAs,
  type ExchangeAuth,
  type ExchangeOptions,
  type OboAs,
} from './support/on-behalf-of.ts'

const TLS_CLIENT = 'tasks-mcp-server-tls'
const OTHER_TLS_CLIENT = 'notes-mcp-server-tls'
const OBO = { allow_any_profile_of_type: ['on_behalf_of_token_exchange'] }
const DAY = 86_400_000

let as: OboAs
let ca: CertificateAndKey
/** The certificates, by what they are. */
const certificates = {} as Record<
  'good' | 'other' | 'expired' | 'future' | 'selfSigned' | 'otherCa' | 'serverOnly',
  CertificateAndKey
>

before(async () => {
  ca = await issueCertificate({ subject: 'CN=Test Demo CA', usage: 'ca' })
  const otherCa = await issueCertificate({ subject: 'CN=Another CA', usage: 'ca' })
  const server = await issueCertificate({
    subject: 'CN=localhost',
    usage: 'server',
    issuer: ca,
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  })
  certificates.good = await issueCertificate({ subject: 'CN=tasks-mcp-server', usage: 'client', issuer: ca })
  certificates.other = await issueCertificate({ subject: 'CN=notes-mcp-server', usage: 'client', issuer: ca })
  certificates.expired = await issueCertificate({
    subject: 'CN=tasks-mcp-server',
    usage: 'client',
    issuer: ca,
    notBefore: new Date(Date.now() - 400 * DAY),
    notAfter: new Date(Date.now() - DAY),
  })
  certificates.future = await issueCertificate({
    subject: 'CN=tasks-mcp-server',
    usage: 'client',
    issuer: ca,
    notBefore: new Date(Date.now() + 10 * DAY),
    notAfter: new Date(Date.now() + 400 * DAY),
  })
  certificates.selfSigned = await issueCertificate({ subject: 'CN=tasks-mcp-server', usage: 'client' })
  certificates.otherCa = await issueCertificate({ subject: 'CN=tasks-mcp-server', usage: 'client', issuer: otherCa })
  certificates.serverOnly = await issueCertificate({ subject: 'CN=tasks-mcp-server', usage: 'server', issuer: ca })
  as = await startOboAs({
    tls: { cert: server.cert, key: server.key, ca: ca.cert },
    env: {
      CLIENTS: JSON.stringify(
        oboClients([
          {
            client_id: TLS_CLIENT,
            token_endpoint_auth_method: 'tls_client_auth',
            tls_client_auth_subject_dn: 'CN=tasks-mcp-server',
            token_exchange: OBO,
            resource_server_identifier: MCP_SERVER,
          },
          {
            client_id: OTHER_TLS_CLIENT,
            token_endpoint_auth_method: 'tls_client_auth',
            tls_client_auth_subject_dn: 'CN=notes-mcp-server',
            token_exchange: OBO,
            resource_server_identifier: OTHER_MCP_SERVER,
          },
        ]),
      ),
      DOWNSTREAM_APIS: JSON.stringify(
        oboDownstreamApis([
          { client_id: TLS_CLIENT, scopes: ['tasks.read', 'tasks.write'] },
          { client_id: OTHER_TLS_CLIENT, scopes: ['tasks.read'] },
        ]),
      ),
    },
  })
})
after(async () => {
  await as.close()
})

interface TlsResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Record<string, unknown>
  text: string
}

/** POSTs a token exchange to the mTLS alias over a fresh TLS connection, presenting `certificate` (if any). */
function exchangeOverTls(
  subjectToken: string,
  certificate: CertificateAndKey | undefined,
  auth: ExchangeAuth = { method: 'client_id_only', id: TLS_CLIENT },
  options: ExchangeOptions = {},
): Promise<TlsResponse> {
  const form = exchangeForm(subjectToken, options)
  const headers = authenticate(form, auth)
  return postOverTls('/token', form, headers, certificate)
}

/** POSTs a form to `path` at the mTLS alias over a fresh TLS connection, presenting `certificate` (if any). */
function postOverTls(
  path: string,
  form: URLSearchParams,
  headers: Record<string, string>,
  certificate: CertificateAndKey | undefined,
): Promise<TlsResponse> {
  const body = form.toString()
  return new Promise((resolve, reject) => {
    const req = request(
      `${as.mtlsUrl}${path}`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          ...headers,
          'content-length': Buffer.byteLength(body),
        },
        ca: ca.cert, // trust the AS's server certificate through the demo CA
        ...(certificate === undefined ? {} : { cert: certificate.cert, key: certificate.key }),
        agent: false, // one connection per request: each presents its own certificate
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          text += chunk
        })
        res.on('end', () => {
          try {
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>,
              text,
            })
          } catch (error) {
            reject(new Error(`not JSON (${res.statusCode}): ${text.slice(0, 200)}`, { cause: error }))
          }
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** RFC 8705 §3.1: base64url SHA-256 of the DER certificate. */
function thumbprint(certificate: CertificateAndKey): string {
  return Buffer.from(new X509Certificate(certificate.cert).fingerprint256.replaceAll(':', ''), 'hex').toString(
    'base64url',
  )
}

function assertRefusedTls(res: TlsResponse, description: RegExp): void {
  assert.equal(res.body.access_token, undefined, 'a refusal must never carry an access_token')
  assert.equal(res.status, 401, res.text)
  assert.equal(res.body.error, 'invalid_client', res.text)
  assert.match(String(res.body.error_description), description, res.text)
}

test('RFC 8705 §5 §3.3 the metadata advertises the mTLS aliases of the token, revocation and introspection endpoints, tls_client_auth and bound tokens; the issuer stays http', async () => {
  const metadata = (await (await fetch(`${as.url}/.well-known/oauth-authorization-server`)).json()) as Record<
    string,
    unknown
  >
  assert.equal(metadata.issuer, as.url)
  assert.equal(metadata.token_endpoint, `${as.url}/token`)
  assert.deepEqual(metadata.mtls_endpoint_aliases, {
    token_endpoint: `${as.mtlsUrl}/token`,
    revocation_endpoint: `${as.mtlsUrl}/revoke`, // decision 0060
    introspection_endpoint: `${as.mtlsUrl}/introspect`,
  })
  assert.ok((metadata.token_endpoint_auth_methods_supported as string[]).includes('tls_client_auth'))
  assert.ok((metadata.introspection_endpoint_auth_methods_supported as string[]).includes('tls_client_auth'))
  assert.equal(metadata.tls_client_certificate_bound_access_tokens, true)
})

test('OBO-07 RFC 8705 §2.1 §3.1 the MCP server authenticates with its CA-issued certificate and gets a certificate-bound downstream token', async () => {
  const res = await exchangeOverTls(await mintSubjectToken(as), certificates.good)
  assert.equal(res.status, 200, res.text)
  assert.equal(res.body.issued_token_type, TOKEN_TYPE.ACCESS_TOKEN)
  assert.match(String(res.headers['cache-control']), /no-store/)
  const { claims } = decodeJwtParts(String(res.body.access_token))
  assert.equal(claims.client_id, TLS_CLIENT)
  assert.equal(claims.aud, TASKS_API)
  assert.deepEqual(claims.act, { sub: TLS_CLIENT, act: { sub: 'acme-agent-tasks' } })
  assert.deepEqual(claims.cnf, { 'x5t#S256': thumbprint(certificates.good) })
})

test('decision 0060 RFC 7662 RFC 8705 §2.1 the MCP server introspects at the mTLS alias with its certificate; without it, 401', async () => {
  const token = await mintSubjectToken(as)
  const form = () => new URLSearchParams({ token, client_id: TLS_CLIENT })
  const active = await postOverTls('/introspect', form(), {}, certificates.good)
  assert.equal(active.status, 200, active.text)
  assert.equal(active.body.active, true)
  assert.equal(active.body.jti !== undefined, true)
  const refused = await postOverTls('/introspect', form(), {}, undefined)
  assert.equal(refused.status, 401, refused.text)
  assert.equal(refused.body.error, 'invalid_client')
  const wrongCertificate = await postOverTls('/introspect', form(), {}, certificates.other)
  assert.equal(wrongCertificate.status, 401, wrongCertificate.text)
})

describe('certificates that must not authenticate the client (RFC 8705 §2.1; 401 invalid_client)', () => {
  const rows: Array<{
    attack: string
    certificate: () => CertificateAndKey | undefined
    auth?: ExchangeAuth
    description: RegExp
  }> = [
    {
      attack: 'no certificate at the mTLS alias',
      certificate: () => undefined,
      description:
        /client tasks-mcp-server-tls authenticates with a TLS client certificate \(tls_client_auth\); present it at https:\/\/localhost:\d+\/token/,
    },
    {
      attack: 'an expired certificate',
      certificate: () => certificates.expired,
      description: /^the client certificate is not accepted: it has expired$/,
    },
    {
      attack: 'a certificate not valid yet',
      certificate: () => certificates.future,
      description: /^the client certificate is not accepted: it is not valid yet$/,
    },
    {
      attack: 'a self-signed certificate with the registered subject (unregistered)',
      certificate: () => certificates.selfSigned,
      description: /^the client certificate is not accepted: it is self-signed, not issued by a CA this server trusts$/,
    },
    {
      attack: 'a certificate with the registered subject from another CA',
      certificate: () => certificates.otherCa,
      description: /^the client certificate is not accepted: it is not issued by a CA this server trusts$/,
    },
    {
      attack: "another client's certificate (CN=notes-mcp-server)",
      certificate: () => certificates.other,
      description:
        /^the client certificate subject "CN=notes-mcp-server" is not the tls_client_auth_subject_dn registered for client tasks-mcp-server-tls$/,
    },
    {
      attack: "this client's certificate presented for another tls_client_auth client",
      certificate: () => certificates.good,
      auth: { method: 'client_id_only', id: OTHER_TLS_CLIENT },
      description:
        /^the client certificate subject "CN=tasks-mcp-server" is not the tls_client_auth_subject_dn registered for client notes-mcp-server-tls$/,
    },
    {
      attack: 'a certificate without the clientAuth extended key usage',
      certificate: () => certificates.serverOnly,
      description: /^the client certificate is not accepted: it is not meant for TLS client authentication/,
    },
    {
      attack: 'a client secret instead of the certificate',
      certificate: () => undefined,
      auth: { method: 'client_secret_basic', id: TLS_CLIENT, secret: 'guess' },
      description: /present it at https:\/\/localhost:\d+\/token/,
    },
  ]
  for (const row of rows) {
    test(`OBO-07 RFC 8705 refuses ${row.attack}`, async () => {
      assertRefusedTls(await exchangeOverTls(await mintSubjectToken(as), row.certificate(), row.auth), row.description)
    })
  }

  test('OBO-07 RFC 8705 refuses the tls_client_auth client at the plain-HTTP token endpoint, pointing at the alias', async () => {
    const res = await exchange(as, await mintSubjectToken(as), { auth: { method: 'client_id_only', id: TLS_CLIENT } })
    const body = (await res.json()) as Record<string, unknown>
    assert.equal(res.status, 401)
    assert.equal(body.error, 'invalid_client')
    assert.equal(body.access_token, undefined)
    assert.match(
      String(body.error_description),
      new RegExp(`present it at ${String(as.mtlsUrl).replaceAll('.', '\\.')}/token`),
    )
  })
})

describe('the secret variant keeps working (OBO-07)', () => {
  const SECRET = { method: 'client_secret_basic', id: 'tasks-mcp-server', secret: 'tasks-mcp-server-secret' } as const

  test('OBO-07 a client_secret_basic client exchanges at the plain endpoint', async () => {
    const res = await exchange(as, await mintSubjectToken(as))
    assert.equal(res.status, 200, await res.clone().text())
    assert.equal(
      decodeJwtParts(String(((await res.json()) as Record<string, unknown>).access_token)).claims.cnf,
      undefined,
    )
  })

  test('OBO-07 a client_secret_basic client exchanges at the mTLS alias without a certificate, and a certificate it presents binds nothing', async () => {
    const without = await exchangeOverTls(await mintSubjectToken(as), undefined, SECRET)
    assert.equal(without.status, 200, without.text)
    const withCertificate = await exchangeOverTls(await mintSubjectToken(as), certificates.good, SECRET)
    assert.equal(withCertificate.status, 200, withCertificate.text)
    assert.equal(
      decodeJwtParts(String(withCertificate.body.access_token)).claims.cnf,
      undefined,
      'only a certificate that authenticated the client binds the token',
    )
  })
})
