import { errors, type KoaContextWithOIDC } from 'oidc-provider'
import type { Middleware } from 'koa'
import { oauthErrorResponse, type Logger } from '@ema/server-kit'
import { InvalidClientError } from '@ema/tokens'
import { clientCertificate, socketAuthorization } from './client-certificate.ts'

/** OpenSSL's verdicts on a client certificate, as a developer can act on them. */
const UNTRUSTED_BECAUSE: Record<string, string> = {
  CERT_HAS_EXPIRED: 'it has expired',
  CERT_NOT_YET_VALID: 'it is not valid yet',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed, not issued by a CA this server trusts',
  SELF_SIGNED_CERT_IN_CHAIN: 'its chain ends in a self-signed CA this server does not trust',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'it is not issued by a CA this server trusts',
  UNABLE_TO_GET_ISSUER_CERT: 'it is not issued by a CA this server trusts',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'it is not issued by a CA this server trusts',
  CERT_SIGNATURE_FAILURE: 'its signature does not verify',
  INVALID_PURPOSE: 'it is not meant for TLS client authentication (extended key usage)',
  CERT_REVOKED: 'it has been revoked',
}

/**
 * oidc-provider's `features.mTLS` for RFC 8705 §2.1 PKI client authentication (`tls_client_auth`),
 * at the mTLS endpoint alias, where the TLS server requests a client certificate and checks it against
 * the configured CA (without refusing the handshake, so that every failure is a JSON 401).
 *
 * - `getCertificate`: the peer certificate of this request's TLS connection (none over plain HTTP).
 * - `certificateAuthorized`: the chain verified against the CA and the certificate is within its
 *   validity period; otherwise 401 `invalid_client` naming the reason (expired, self-signed, unknown CA …).
 * - `certificateSubjectMatches`: the certificate subject DN equals the client's registered
 *   `tls_client_auth_subject_dn` (RFC 8705 §2.1.2), compared as RFC 4514 strings, attribute by
 *   attribute; otherwise 401 `invalid_client`. Only the subject DN form is offered.
 *
 * Does NOT issue certificate-bound tokens by itself: the grant adds `cnf` (RFC 8705 §3.1).
 */
export function mtlsClientAuthentication() {
  return {
    enabled: true,
    tlsClientAuth: true as const,
    getCertificate: (ctx: KoaContextWithOIDC) => clientCertificate(ctx),
    certificateAuthorized(ctx: KoaContextWithOIDC): boolean {
      const verdict = socketAuthorization(ctx)
      if (verdict.authorized) return true
      const why = UNTRUSTED_BECAUSE[verdict.reason] ?? `TLS verification failed (${verdict.reason})`
      throw invalidClientAuth(`the client certificate is not accepted: ${why}`)
    },
    certificateSubjectMatches(ctx: KoaContextWithOIDC, property: string, expected: string): boolean {
      const certificate = clientCertificate(ctx)
      if (property !== 'tls_client_auth_subject_dn' || certificate === undefined) return false
      const presented = rfc4514Subject(certificate.subject)
      if (normaliseDn(presented) === normaliseDn(expected)) return true
      throw invalidClientAuth(
        `the client certificate subject "${presented}" is not the tls_client_auth_subject_dn registered for client ${ctx.oidc.client?.clientId ?? ''}`,
      )
    },
  }
}

/**
 * A `tls_client_auth` client that presented no certificate (a plain-HTTP request, or a TLS client
 * without one) gets oidc-provider's generic "client authentication failed". This Koa middleware
 * (install with `provider.use`) names what is missing and where to go instead.
 */
export function describeMissingClientCertificate(
  tokenEndpointAlias: string | undefined,
  log: Logger,
): Middleware<object, KoaContextWithOIDC> {
  return async function describeMissingClientCertificateMiddleware(ctx, next) {
    await next()
    const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined
    if (oidc?.route !== 'token' || ctx.status !== 401 || oidc.client?.clientAuthMethod !== 'tls_client_auth') return
    if (clientCertificate(ctx) !== undefined) return
    const where = tokenEndpointAlias === undefined ? 'the mTLS endpoint alias' : tokenEndpointAlias
    const { status, headers, body } = oauthErrorResponse(
      new InvalidClientError(
        `client ${oidc.client.clientId} authenticates with a TLS client certificate (tls_client_auth); present it at ${where}`,
      ),
      { log },
    )
    ctx.status = status
    ctx.set(headers)
    ctx.body = body
  }
}

/** Node prints a subject one attribute per line, most significant first; RFC 4514 joins them with "," the other way round. */
function rfc4514Subject(nodeSubject: string): string {
  return nodeSubject
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .join(',')
}

/** Attribute types case-insensitive, no spaces around "=" and ",", values as given. */
function normaliseDn(dn: string): string {
  return dn
    .split(/(?<!\\),/)
    .map((rdn) => {
      const equals = rdn.indexOf('=')
      return equals < 0 ? rdn.trim() : `${rdn.slice(0, equals).trim().toUpperCase()}=${rdn.slice(equals + 1).trim()}`
    })
    .join(',')
}

/** 401 `invalid_client` whose public description is `description` (oidc-provider's own is a generic one). */
function invalidClientAuth(description: string): errors.InvalidClientAuth {
  const error = new errors.InvalidClientAuth(description)
  error.error_description = description
  return error
}
