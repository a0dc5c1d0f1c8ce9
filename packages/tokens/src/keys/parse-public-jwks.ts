import { createPublicKey } from 'node:crypto'
import type { JWK } from 'jose'

/** JWK members that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/** A public EC P-256 signing key as this function accepts it. Other members are kept as given. */
interface PublicP256Jwk extends JWK {
  kty: 'EC'
  crv: 'P-256'
  x: string
  y: string
  kid: string
  alg: 'ES256'
  use?: 'sig'
}

/** The first rule a value breaks: where (a path such as `keys.0.kid`, empty for the whole) and what. */
interface Issue {
  path: string
  message: string
}

/**
 * Parses a public JWK Set given in configuration (the variable `variableName`, for example
 * `AGENT_CLI_JWKS`): `{"keys":[…]}` of EC P-256 keys with `kid` and `alg: "ES256"` (and, if any,
 * `use: "sig"`). Refused, with a TypeError naming the variable, when it is not JSON, holds a
 * private member, names no key, breaks one of those rules, uses a `kid` twice, or a key is not a
 * point on P-256.
 */
export function parsePublicJwks(json: string, variableName: string): { keys: JWK[] } {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (cause) {
    throw new TypeError(`${variableName} is not valid JSON; expected a public JWK Set {"keys":[…]}`, { cause })
  }
  // CL-49: a private key must never reach a server's environment (or its logs); refuse, do not strip.
  const keys: unknown = isObject(value) && 'keys' in value ? value.keys : undefined
  for (const [index, key] of (Array.isArray(keys) ? keys : []).entries()) {
    const member = PRIVATE_JWK_MEMBERS.find((name) => typeof key === 'object' && key !== null && name in key)
    if (member !== undefined) {
      throw new TypeError(
        `${variableName} must hold public keys only, but key ${index} has the private member "${member}"; the private key stays with the CLI`,
      )
    }
  }
  const checked = checkJwks(value)
  if ('issue' in checked) {
    const { path, message } = checked.issue
    const where = path !== '' ? ` at ${path}` : ''
    throw new TypeError(
      `invalid ${variableName}${where}: ${message} (expected {"keys":[{"kty":"EC","crv":"P-256","x":…,"y":…,"kid":…,"alg":"ES256"}]})`,
    )
  }
  const kids = new Set<string>()
  for (const [index, key] of checked.keys.entries()) {
    if (kids.has(key.kid)) throw new TypeError(`invalid ${variableName}: kid "${key.kid}" is used twice`)
    kids.add(key.kid)
    try {
      createPublicKey({ key: { kty: key.kty, crv: key.crv, x: key.x, y: key.y }, format: 'jwk' })
    } catch (cause) {
      throw new TypeError(`invalid ${variableName}: key ${index} is not a valid P-256 public key`, { cause })
    }
  }
  return { keys: checked.keys }
}

/** The shape rules, checked in order; the first broken one is reported. Returns copies of the keys. */
function checkJwks(value: unknown): { keys: PublicP256Jwk[] } | { issue: Issue } {
  if (!isObject(value)) return { issue: { path: '', message: expected('object', value) } }
  const keys = value.keys
  if (!Array.isArray(keys)) return { issue: { path: 'keys', message: expected('array', keys) } }
  if (keys.length === 0) return { issue: { path: 'keys', message: 'it holds no keys' } }
  const result: PublicP256Jwk[] = []
  for (const [index, key] of keys.entries()) {
    const issue = checkJwk(key)
    if (issue !== undefined)
      return {
        issue: { path: issue.path === '' ? `keys.${index}` : `keys.${index}.${issue.path}`, message: issue.message },
      }
    // The checked members first, then the others as given (the order a schema library would give).
    const { kty, crv, x, y, kid, alg, use, ...rest } = key as PublicP256Jwk
    result.push({ kty, crv, x, y, kid, alg, ...(use !== undefined ? { use } : {}), ...rest })
  }
  return { keys: result }
}

function checkJwk(key: unknown): Issue | undefined {
  if (!isObject(key)) return { path: '', message: expected('object', key) }
  const literals = { kty: 'EC', crv: 'P-256' } as const
  for (const [name, wanted] of Object.entries(literals)) {
    if (key[name] !== wanted) return { path: name, message: `Invalid input: expected "${wanted}"` }
  }
  for (const name of ['x', 'y', 'kid'] as const) {
    const member = key[name]
    if (typeof member !== 'string') return { path: name, message: expected('string', member) }
    if (member.length === 0) return { path: name, message: 'Too small: expected string to have >=1 characters' }
  }
  if (key.alg !== 'ES256') return { path: 'alg', message: 'Invalid input: expected "ES256"' }
  if (key.use !== undefined && key.use !== 'sig') return { path: 'use', message: 'Invalid input: expected "sig"' }
  return undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function expected(type: 'object' | 'array' | 'string', value: unknown): string {
  const received = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  return `Invalid input: expected ${type}, received ${received}`
}
