import { readFileSync } from 'node:fs'
import type { JWK } from 'jose'
import { parsePrivateJwks } from './parse-private-jwks.ts'

/**
 * A role's signing keys from its configuration, for a role whose variables start with `prefix`
 * (`IDP`, `AS` …): `<prefix>_SIGNING_KEYS` (a JWK Set of private keys, the first signs, all are
 * published: rotation), `<prefix>_SIGNING_KEYS_FILE` (the path of a file holding one), or
 * `<prefix>_SIGNING_KEY` (one private JWK). At most one of the three; none → `undefined` (the role
 * generates a key and warns). Every instance of one deployment must be given the same keys.
 * Throws a TypeError naming the variable, never echoing a key.
 */
export function signingKeysFromEnv(env: Record<string, string | undefined>, prefix: string): JWK[] | undefined {
  const one = `${prefix}_SIGNING_KEY`
  const set = `${prefix}_SIGNING_KEYS`
  const file = `${prefix}_SIGNING_KEYS_FILE`
  const given = [one, set, file].filter((name) => env[name] !== undefined && env[name] !== '')
  if (given.length > 1) throw new TypeError(`set one of ${given.join(', ')}, not several`)
  if (given.length === 0) return undefined
  if (given[0] === one) {
    const keys = parsePrivateJwks(env[one]!, one)
    if (keys.length !== 1) throw new TypeError(`${one} holds one private JWK; use ${set} for several`)
    return keys
  }
  if (given[0] === set) return parsePrivateJwks(env[set]!, set)
  let text: string
  try {
    text = readFileSync(env[file]!, 'utf8')
  } catch (cause) {
    throw new TypeError(`${file} cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause })
  }
  return parsePrivateJwks(text, file)
}
