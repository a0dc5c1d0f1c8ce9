import type { JWK } from 'jose'
import { z } from 'zod'
import type { Env } from './env.ts'
import { parseJson } from './read-json.ts'

/**
 * One private signing JWK as a client holds it (CL-28, private_key_jwt): `kty`, the private `d`, and
 * the `alg` it signs with (a client assertion names it, so it is never guessed). Other members
 * (`kid`, `crv`, `x`, `y` …) pass through. A role's own signing keys are a key set, read by
 * `signingKeysFromEnv` (tokens), which allows rotation.
 */
export const PrivateJwk = z.looseObject({
  kty: z.string({ error: 'must be a private JWK (with "kty")' }),
  d: z.string({ error: 'must be a private JWK (with "d")' }),
  alg: z.string({ error: 'must name its signing algorithm in "alg" (e.g. ES256)' }),
})

/**
 * `env[name]` as a {@link PrivateJwk}; absent or empty → `undefined`. Never logs or echoes the key.
 * @throws {TypeError} `NAME is not valid JSON`, or `invalid NAME at d: must be a private JWK (with "d")` …
 */
export function readPrivateJwk(env: Env, name: string): JWK | undefined {
  const raw = env[name]
  return raw === undefined || raw.trim() === '' ? undefined : (parseJson(raw, name, PrivateJwk) as JWK)
}
