import { createPublicKey, type JsonWebKey } from 'node:crypto'
import type { AttackKey, AttackTarget } from './attack-target.ts'
import { signRaw } from './sign-raw.ts'

/** Changes to a genuine token; `undefined` removes a member. */
export interface JwtCraft {
  claims?: Record<string, unknown>
  header?: Record<string, unknown>
  /** Sign with this key; the header still names the issuer's `kid` unless `header` says otherwise. */
  key?: AttackKey
}

/** Builds hostile JWTs from the genuine token of one {@link AttackTarget}. */
export interface JwtForge {
  target: AttackTarget
  /** The genuine header (`alg`, `kid`, and `typ` unless the kind has none), with changes. */
  header(changes?: Record<string, unknown>): Record<string, unknown>
  /** A token signed with the issuer's key (or `craft.key`), with changes. */
  sign(craft?: JwtCraft): Promise<string>
  /** Raw header and payload JSON text, signed (by default) with the issuer's key. */
  signRaw(headerText: string, payloadText: string, key?: AttackKey): Promise<string>
  /** The genuine token HMAC-signed with `secret` (RFC 8725 §2.1 key confusion). */
  hmac(alg: 'HS256' | 'HS384' | 'HS512', secret: string): Promise<string>
  /** The issuer's public key as SPKI PEM, the secret of the classic key-confusion attack. */
  publicPem(): string
}

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')

function withChanges(base: Record<string, unknown>, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const merged = { ...base, ...changes }
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name]
  return merged
}

export function jwtForge(target: AttackTarget): JwtForge {
  const header = (changes?: Record<string, unknown>) =>
    withChanges(
      { alg: target.key.alg, kid: target.key.kid, ...(target.typMayBeAbsent === true ? {} : { typ: target.typ }) },
      changes,
    )
  return {
    target,
    header,
    sign: (craft = {}) =>
      signRaw(
        JSON.stringify(header(craft.header)),
        JSON.stringify(withChanges(target.claims(), craft.claims)),
        craft.key ?? target.key,
      ),
    signRaw: (headerText, payloadText, key = target.key) => signRaw(headerText, payloadText, key),
    async hmac(alg, secret) {
      const input = `${b64(JSON.stringify(header({ alg })))}.${b64(JSON.stringify(target.claims()))}`
      const hmacKey = await crypto.subtle.importKey(
        'raw',
        new TextEncoder().encode(secret),
        { name: 'HMAC', hash: `SHA-${alg.slice(2)}` },
        false,
        ['sign'],
      )
      return `${input}.${b64(new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, new TextEncoder().encode(input))))}`
    },
    publicPem: () =>
      createPublicKey({ key: target.key.publicJwk as JsonWebKey, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString(),
  }
}
