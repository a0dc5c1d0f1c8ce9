import { type Env, readPrivateJwk } from '@ema/server-kit'
import type { JWK } from 'jose'
import { CLIENT_AUTH_METHODS, type ClientAuthMethod, type ClientRegistration } from './client-registration.ts'

/**
 * One registration from `<prefix>_ID`, `<prefix>_SECRET`, `<prefix>_PRIVATE_JWK` (a private JWK as
 * JSON, server-kit's `readPrivateJwk`) and `<prefix>_AUTH_METHOD`, over the caller's `defaults`. A
 * private key without a secret drops the default secret.
 *
 * Does NOT check that the server holds the public half of the key or the same secret: the first
 * token request shows that.
 * @throws {TypeError} naming the variable, when a value is malformed or a pinned method lacks its credential.
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
    throw new TypeError(`${prefix}_AUTH_METHOD is private_key_jwt, but ${prefix}_PRIVATE_JWK is not set`)
  if (authMethod !== undefined && authMethod !== 'private_key_jwt' && clientSecret === undefined)
    throw new TypeError(`${prefix}_AUTH_METHOD is ${authMethod}, but ${prefix}_SECRET is not set`)
  return { clientId: env[`${prefix}_ID`] ?? defaults.clientId, clientSecret, privateJwk, authMethod }
}

function readAuthMethod(env: Env, name: string): ClientAuthMethod | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined // chosen from the server's metadata
  if (!(CLIENT_AUTH_METHODS as readonly string[]).includes(raw))
    throw new TypeError(`${name} must be one of ${CLIENT_AUTH_METHODS.join(', ')}`)
  return raw as ClientAuthMethod
}
