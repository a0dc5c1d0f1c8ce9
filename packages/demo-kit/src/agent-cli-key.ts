import { createECDH, createHash, generateKeyPairSync, type JsonWebKey } from 'node:crypto'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/** The agent CLI's demo key: a private JWK (EC P-256, `kid`, `alg: ES256`), and its public JWK Set. */
export interface AgentCliKey {
  file: string
  kid: string
  publicJwks: { keys: JsonWebKey[] }
  created: boolean
  /** The existing file is readable by its group or others (the caller should warn). */
  readableByOthers: boolean
}

/** RFC 7638 §3: the SHA-256 thumbprint of an EC public key (required members, sorted, no spaces). */
function ecThumbprint(jwk: JsonWebKey): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })
  return createHash('sha256').update(canonical).digest('base64url')
}

/**
 * CL-49: the "Acme Agent CLI" authenticates with private_key_jwt (RFC 7523 §2.2). Its private key
 * is generated once per checkout into `file` (owner-only, git-ignored) and never committed: a key in
 * a repository is every clone's key. The roles receive only the public half, in AGENT_CLI_JWKS.
 * An existing file is used after checking that it holds such a key; two processes creating it at
 * once agree on one key.
 */
export function ensureAgentCliKey(file: string): AgentCliKey {
  let text: string | undefined
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  if (text === undefined) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const jwk = privateKey.export({ format: 'jwk' })
    const privateJwk = { ...jwk, kid: ecThumbprint(jwk), alg: 'ES256' }
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
    try {
      // `wx`: never overwrite a key another process has just written; use that one instead.
      writeFileSync(file, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return ensureAgentCliKey(file)
      throw error
    }
    return { file, kid: privateJwk.kid, publicJwks: publicJwksOf(privateJwk), created: true, readableByOthers: false }
  }
  let privateJwk: JsonWebKey
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('not a JSON object')
    privateJwk = parsed as JsonWebKey
    if (privateJwk.kty !== 'EC' || privateJwk.crv !== 'P-256' || typeof privateJwk.d !== 'string')
      throw new TypeError('not a private EC P-256 JWK')
    if (privateJwk.alg !== undefined && privateJwk.alg !== 'ES256')
      throw new TypeError(`alg is ${String(privateJwk.alg)}, not ES256`)
    // The public half must be the one the private key makes, or the servers would trust another key.
    // Derived from `d` alone: a JWK import takes x and y as given, without checking them against d.
    const ecdh = createECDH('prime256v1')
    ecdh.setPrivateKey(Buffer.from(privateJwk.d, 'base64url'))
    const point = ecdh.getPublicKey() // 0x04 || X || Y
    if (
      point.subarray(1, 33).toString('base64url') !== privateJwk.x ||
      point.subarray(33).toString('base64url') !== privateJwk.y
    )
      throw new TypeError('x and y do not belong to d')
  } catch (cause) {
    throw new Error(
      `${file} does not hold the agent CLI's private key (${cause instanceof Error ? cause.message : String(cause)}); delete it to generate a new one, or set AGENT_CLI_JWKS`,
      { cause },
    )
  }
  const readableByOthers = process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0
  const withKid = {
    ...privateJwk,
    kid: typeof privateJwk.kid === 'string' ? privateJwk.kid : ecThumbprint(privateJwk),
    alg: 'ES256',
  }
  return { file, kid: withKid.kid, publicJwks: publicJwksOf(withKid), created: false, readableByOthers }
}

/** The JWK Set of the public half: `d` (and anything else private) is dropped. */
function publicJwksOf(privateJwk: JsonWebKey & { kid: string }): { keys: JsonWebKey[] } {
  return {
    keys: [
      {
        kty: privateJwk.kty,
        crv: privateJwk.crv,
        x: privateJwk.x,
        y: privateJwk.y,
        kid: privateJwk.kid,
        alg: 'ES256',
        use: 'sig',
      },
    ],
  }
}
