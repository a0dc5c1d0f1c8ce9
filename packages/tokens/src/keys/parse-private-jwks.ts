import type { JWK } from 'jose'

/**
 * Parses the private signing keys of a role from configuration (the variable `variableName`, e.g.
 * `IDP_SIGNING_KEYS`): a JWK Set `{"keys":[…]}` of private keys, or one private JWK. The first key
 * signs; every key is published in the role's JWKS, so that tokens signed by a key being retired, or
 * by one being introduced on another instance, still verify (rotation, docs/deployment.md). Each key
 * needs `kty`, `d` and a distinct `kid` when there are several; `alg` defaults to ES256.
 *
 * Throws a TypeError naming the variable and the key's position, never echoing a value.
 */
export function parsePrivateJwks(json: string, variableName: string): JWK[] {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (cause) {
    throw new TypeError(
      `${variableName} is not valid JSON; expected a JWK Set of private keys {"keys":[…]} or one private JWK`,
      { cause },
    )
  }
  const keys: unknown[] = isObject(value) && Array.isArray(value.keys) ? value.keys : [value]
  if (keys.length === 0) throw new TypeError(`${variableName} holds no keys`)
  const kids = new Set<string>()
  return keys.map((key, index) => {
    if (!isObject(key) || typeof key.kty !== 'string' || typeof key.d !== 'string') {
      throw new TypeError(`${variableName}: key ${index} must be a private JWK (with "kty" and "d")`)
    }
    if (keys.length > 1) {
      if (typeof key.kid !== 'string' || key.kid === '')
        throw new TypeError(`${variableName}: key ${index} needs a "kid" (several keys are configured)`)
      if (kids.has(key.kid)) throw new TypeError(`${variableName}: kid "${key.kid}" is used twice`)
      kids.add(key.kid)
    }
    return { alg: 'ES256', ...key } as JWK
  })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
