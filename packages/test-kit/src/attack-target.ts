import type { webcrypto } from 'node:crypto'

/** A signing key as the attacks need it; `@ema/tokens`' `SigningKey` is one (this package does not depend on it). */
export interface AttackKey {
  readonly alg: string
  readonly kid: string
  readonly privateKey: webcrypto.CryptoKey
  readonly publicJwk: object
}

/**
 * What a verifier accepts, described for the attack catalogue: the genuine token that every attack
 * starts from, and the limits the refusals name. One per kind of JWT (ID-JAG, ID token, access token).
 */
export interface AttackTarget {
  /** The noun the verifier uses in its descriptions ("ID-JAG", "subject token", "access token"). */
  label: string
  /** The `typ` the verifier expects (RFC 8725 §3.11). */
  typ: string
  /** The genuine token carries no `typ` (OIDC ID tokens); the verifier accepts it absent. */
  typMayBeAbsent?: boolean
  /** The issuer's key: it signs the genuine token. */
  key: AttackKey
  /** A key nobody trusts. */
  attackerKey: AttackKey
  /** The claims of a genuine token at `now` (a fresh `jti` each call where the kind has one). */
  claims(): Record<string, unknown>
  /** The verifier's "now", in seconds. */
  now: number
  clockSkewSeconds: number
  maxLifetimeSeconds: number
  maxLength: number
}
