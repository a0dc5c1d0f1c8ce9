import type { IdJagClaims } from '@ema/tokens'
import type { TrustedIdp } from '../config.ts'

/** The user as this authorization server knows it (AS-19, AS-40). */
export interface LocalSubject {
  /** Our identifier for the user, `<subject_namespace>|<ID-JAG sub>`: the access token `sub`. */
  sub: string
  /** The IdP that vouched for the user: the ID-JAG `iss`. */
  idp: string
  /** The IdP's own identifier for the user: the ID-JAG `sub`. */
  idp_sub: string
}

/**
 * AS-19, AS-40: resolves the ID-JAG's `iss` + `sub` (or, in the authorization code flow, the ID
 * token's: decision 0050) to this server's own subject identifier, so that one user is one subject
 * here whichever way the client obtained the token.
 *
 * An IdP's `sub` is unique only within that IdP, and the MCP server keys users by (our `iss`, `sub`),
 * so the IdP's `sub` is prefixed with the IdP's configured `subject_namespace`. Namespaces are
 * unique and contain no `|` (loadConfig enforces both), so distinct (`iss`, `sub`) pairs never
 * resolve to the same subject.
 *
 * Does NOT check that `iss` is trusted or that `sub` is present: `verifyIdJag` and
 * `requireTrustedClientRelationship` did. No account is provisioned or looked up (AS-19 MAY).
 */
export function resolveLocalSubject(idJag: Pick<IdJagClaims, 'iss' | 'sub'>, idp: TrustedIdp): LocalSubject {
  return { sub: `${idp.subject_namespace}|${idJag.sub}`, idp: idJag.iss, idp_sub: idJag.sub }
}

/**
 * The inverse of {@link resolveLocalSubject}: the subject a sign-in resolved to (oidc-provider's
 * `accountId` in the authorization code flow), back to the IdP and the IdP's `sub`. `undefined` when
 * no trusted IdP has the subject's namespace (an account from a configuration that changed since).
 */
export function findLocalSubject(sub: string, trustedIdps: readonly TrustedIdp[]): LocalSubject | undefined {
  const bar = sub.indexOf('|')
  if (bar <= 0 || bar === sub.length - 1) return undefined
  const namespace = sub.slice(0, bar)
  const idp = trustedIdps.find((candidate) => candidate.subject_namespace === namespace)
  return idp === undefined ? undefined : { sub, idp: idp.issuer, idp_sub: sub.slice(bar + 1) }
}
