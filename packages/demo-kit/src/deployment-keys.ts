import { createHash, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * The secrets every instance of a demo deployment must share (decisions 0040, 0090): the IdP's and the
 * authorization server's signing keys (two each, so that the JWKS shows rotation: the first signs,
 * the second is published), the IdP's and the authorization server's cookie keys, and the secret
 * that signs the client app's session cookie. As environment values for the roles.
 */
export interface DeploymentKeys {
  file: string
  created: boolean
  env: {
    IDP_SIGNING_KEYS: string
    AS_SIGNING_KEYS: string
    IDP_COOKIE_KEYS: string
    AS_COOKIE_KEYS: string
    CLIENT_SESSION_SECRET: string
  }
}

const secret = () => randomBytes(32).toString('base64url')

/** Each value, made when absent: a file from before a secret was added keeps its keys and gains the new one. */
const MAKERS: { [name in keyof DeploymentKeys['env']]: () => string } = {
  IDP_SIGNING_KEYS: () => JSON.stringify({ keys: [privateKey(), privateKey()] }),
  AS_SIGNING_KEYS: () => JSON.stringify({ keys: [privateKey(), privateKey()] }),
  IDP_COOKIE_KEYS: () => [secret(), secret()].join(','),
  AS_COOKIE_KEYS: () => [secret(), secret()].join(','),
  CLIENT_SESSION_SECRET: secret,
}

function privateKey(): JsonWebKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = privateKey.export({ format: 'jwk' })
  // RFC 7638 thumbprint as the kid.
  const kid = createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))
    .digest('base64url')
  return { ...jwk, kid, alg: 'ES256', use: 'sig' }
}

/**
 * Reads the deployment's keys from `file` (owner-only, under the git-ignored .demo/), or makes them
 * there once, so that `npm run start:cluster` and its restarts, and every instance, share them.
 * Demo keys only: a real deployment keeps its keys in its secret store (docs/deployment.md).
 */
export function ensureDeploymentKeys(file: string): DeploymentKeys {
  let kept: Partial<Record<string, unknown>> = {}
  try {
    kept = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<string, unknown>>
  } catch {
    // absent or unreadable: made afresh below
  }
  const env = {} as DeploymentKeys['env']
  let created = false
  for (const [name, make] of Object.entries(MAKERS) as Array<[keyof DeploymentKeys['env'], () => string]>) {
    const value = kept[name]
    if (typeof value === 'string') env[name] = value
    else {
      env[name] = make()
      created = true
    }
  }
  if (!created) return { file, created, env }
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, JSON.stringify(env, null, 2), { mode: 0o600 })
  chmodSync(file, 0o600)
  return { file, created, env }
}
