// Writes a demo deployment's shared keys as files the roles read (compose.yaml's `keys` service):
// <dir>/idp-signing-keys.json and <dir>/as-signing-keys.json (JWK Sets of private keys, two each:
// the first signs, both are published), made once and kept. Demo keys: a real deployment brings its own.
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ensureDeploymentKeys } from '@ema/demo-kit'

const dir = resolve(process.argv[2] ?? '.demo/keys')
const keys = ensureDeploymentKeys(join(dir, 'deployment-keys.json'))
writeFileSync(join(dir, 'idp-signing-keys.json'), keys.env.IDP_SIGNING_KEYS, { mode: 0o600 })
writeFileSync(join(dir, 'as-signing-keys.json'), keys.env.AS_SIGNING_KEYS, { mode: 0o600 })
console.log(`${keys.created ? 'made' : 'kept'} the deployment keys in ${dir}`)
