import type { JWK } from 'jose'
import { CLIENT_AUTH_METHODS, type ClientAuthMethod, type ClientRegistration } from './client-registration.ts'

/** Environment variables, as `process.env` holds them. */
export type Env = Record<string, string | undefined>

/**
 * One registration from `<prefix>_ID`, `<prefix>_SECRET`, `<prefix>_PRIVATE_JWK` (a private JWK as
 * JSON) and `<prefix>_AUTH_METHOD`, over the caller's `defaults`. A private key without a secret
 * drops the default secret.
 *
 * Does NOT check that the server holds the public half of the key or the same secret: the first
 * token request shows that.
 * @throws {Error} naming the variable, when a value is malformed or a pinned method lacks its credential.
 */
export function readClientRegistration(
  env: Env,
  prefix: string,
  defaults: { clientId: string; clientSecret?: string; privateJwk?: JWK | undefined },
): ClientRegistration {
  const privateJwk = readPrivateJwk(env, `${prefix}_PRIVATE_JWK`) ?? defaults.privateJwk
  const clientSecret = env[`${prefix}_SECRET`] ?? (privateJwk === undefined ? defaults.clientSecret : undefined)
  const authMethod = readAuthMethod(env, `${prefix}_AUTH_METHOD`)
  if (authMethod === 'private_key_jwt' && privateJwk === undefined)
    throw new Error(`${prefix}_AUTH_METHOD is private_key_jwt, but ${prefix}_PRIVATE_JWK is not set`)
  if (authMethod !== undefined && authMethod !== 'private_key_jwt' && clientSecret === undefined)
    throw new Error(`${prefix}_AUTH_METHOD is ${authMethod}, but ${prefix}_SECRET is not set`)
  return { clientId: env[`${prefix}_ID`] ?? defaults.clientId, clientSecret, privateJwk, authMethod }
}

function readAuthMethod(env: Env, name: string): ClientAuthMethod | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined // chosen from the server's metadata
  if (!(CLIENT_AUTH_METHODS as readonly string[]).includes(raw))
    throw new Error(`${name} must be one of ${CLIENT_AUTH_METHODS.join(', ')}`)
  return raw as ClientAuthMethod
}

function readPrivateJwk(env: Env, name: string): JWK | undefined {
  const raw = env[name]
  return raw === undefined || raw === '' ? undefined : parsePrivateJwk(raw, name)
}

/**
 * A private signing JWK from JSON text: with `d` and `alg`. Messages name `name` (a variable, a file).
 *
 * Does NOT import the key: the first signature does (`importSigningKey`).
 * @throws {Error} when the text is not JSON or not a private JWK with `alg`.
 */
export function parsePrivateJwk(raw: string, name: string): JWK {
  let jwk: unknown
  try {
    jwk = JSON.parse(raw)
  } catch {
    throw new Error(`${name} is not JSON: it must be a private JWK`)
  }
  if (typeof jwk !== 'object' || jwk === null || typeof (jwk as JWK).d !== 'string')
    throw new Error(`${name} must be a private JWK (with "d")`)
  if (typeof (jwk as JWK).alg !== 'string')
    throw new Error(`${name} must name its signing algorithm in "alg" (e.g. ES256)`)
  return jwk as JWK
}

/**
 * A configured URL from `env[name]` (or `fallback`): https only unless `allowInsecureHttp` (CL-48),
 * no userinfo and no fragment (CL-50). Keeps the configured string, minus a trailing slash on a bare
 * origin, because issuers and resources are compared exactly.
 *
 * Does NOT restrict plain http to loopback hosts: the chain's own requests do (`assertTrustworthyUrl`).
 * @throws {Error} naming the variable.
 */
export function readUrl(env: Env, name: string, fallback: string, allowInsecureHttp: boolean): string {
  const raw = env[name] ?? fallback
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error(`${name} is not a URL: ${raw}`)
  }
  // CL-50: no userinfo, no fragment.
  if (url.username !== '' || url.password !== '' || url.hash !== '')
    throw new Error(`${name} must not contain userinfo or a fragment`)
  // CL-48: https only, unless the loud demo switch is on.
  if (url.protocol === 'http:' && !allowInsecureHttp)
    throw new Error(`${name} is http (${raw}); set ALLOW_INSECURE_HTTP=true for a local demo`)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name} must be an https URL`)
  return raw.endsWith('/') && url.pathname === '/' ? raw.slice(0, -1) : raw
}
