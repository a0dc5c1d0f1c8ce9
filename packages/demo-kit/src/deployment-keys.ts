import { createHash, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * The secrets every instance of a demo deployment must share (decision 0040): the IdP's and the
 * authorization server's signing keys (two each, so that the JWKS shows rotation: the first signs,
 * the second is published), and the IdP's cookie keys. As environment values for the roles.
 */
export interface DeploymentKeys {
  file: string
  created: boolean
  env: {
    IDP_SIGNING_KEYS: string
    AS_SIGNING_KEYS: string
    IDP_COOKIE_KEYS: string
  }
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
  try {
    const env = JSON.parse(readFileSync(file, 'utf8')) as DeploymentKeys['env']
    if (
      typeof env.IDP_SIGNING_KEYS === 'string' &&
      typeof env.AS_SIGNING_KEYS === 'string' &&
      typeof env.IDP_COOKIE_KEYS === 'string'
    ) {
      return { file, created: false, env }
    }
  } catch {
    // absent or unreadable: made afresh below
  }
  const env: DeploymentKeys['env'] = {
    IDP_SIGNING_KEYS: JSON.stringify({ keys: [privateKey(), privateKey()] }),
    AS_SIGNING_KEYS: JSON.stringify({ keys: [privateKey(), privateKey()] }),
    IDP_COOKIE_KEYS: [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')].join(','),
  }
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, JSON.stringify(env, null, 2), { mode: 0o600 })
  chmodSync(file, 0o600)
  return { file, created: true, env }
}
