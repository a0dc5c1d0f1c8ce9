// `npm start`: every role on localhost with in-memory defaults, logs prefixed by role, and the URLs
// to open once all of them answer. Ctrl-C stops them all; if one dies, all stop.
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

interface Role {
  name: string
  folder: string
  /** A URL that answers 200 once the role is ready. */
  readyUrl: string
  colour: number
}

const env = { ...process.env }
env.IDP_ISSUER ??= 'http://localhost:4001'
env.AS_ISSUER ??= 'http://localhost:4002'
env.RS_RESOURCE ??= 'http://localhost:4003/mcp'
env.CLIENT_URL ??= 'http://localhost:3000'
// Opt in, loudly, to plain http on localhost: every role warns about it at start-up (style rule 10).
env.ALLOW_INSECURE_HTTP ??= 'true'

const root = fileURLToPath(new URL('..', import.meta.url))

/** The agent CLI's demo key: a private JWK (EC P-256, `kid`, `alg: ES256`), and its public JWK Set. */
interface AgentCliKey {
  file: string
  kid: string
  publicJwks: { keys: JsonWebKey[] }
  created: boolean
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
 */
function ensureAgentCliKey(file: string): AgentCliKey {
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
    // `wx`: never overwrite a key another process has just written.
    writeFileSync(file, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
    return { file, kid: privateJwk.kid, publicJwks: publicJwksOf(privateJwk), created: true }
  }
  let privateJwk: JsonWebKey
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('not a JSON object')
    privateJwk = parsed as JsonWebKey
    if (privateJwk.kty !== 'EC' || privateJwk.crv !== 'P-256' || typeof privateJwk.d !== 'string') throw new TypeError('not a private EC P-256 JWK')
    if (privateJwk.alg !== undefined && privateJwk.alg !== 'ES256') throw new TypeError(`alg is ${String(privateJwk.alg)}, not ES256`)
    // The public half must be the one the private key makes, or the servers would trust another key.
    const derived = createPublicKey(createPrivateKey({ key: privateJwk, format: 'jwk' })).export({ format: 'jwk' })
    if (derived.x !== privateJwk.x || derived.y !== privateJwk.y) throw new TypeError('x and y do not belong to d')
  } catch (cause) {
    throw new Error(`${file} does not hold the agent CLI's private key (${cause instanceof Error ? cause.message : String(cause)}); delete it to generate a new one, or set AGENT_CLI_JWKS`, { cause })
  }
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
    console.warn(`[setup] !!! ${file} is readable by other users; run: chmod 600 ${file} !!!`)
  }
  const withKid = { ...privateJwk, kid: typeof privateJwk.kid === 'string' ? privateJwk.kid : ecThumbprint(privateJwk), alg: 'ES256' }
  return { file, kid: withKid.kid, publicJwks: publicJwksOf(withKid), created: false }
}

/** The JWK Set of the public half: `d` (and anything else private) is dropped. */
function publicJwksOf(privateJwk: JsonWebKey & { kid: string }): { keys: JsonWebKey[] } {
  return { keys: [{ kty: privateJwk.kty, crv: privateJwk.crv, x: privateJwk.x, y: privateJwk.y, kid: privateJwk.kid, alg: 'ES256', use: 'sig' }] }
}

// The roles register the agent CLI when AGENT_CLI_JWKS is set; one set by the user (even empty,
// which leaves the CLI out) is left alone. The CLI reads the same file (AGENT_CLI_KEY_FILE).
let agentCliKey: AgentCliKey | undefined
if (env.AGENT_CLI_JWKS === undefined) {
  try {
    agentCliKey = ensureAgentCliKey(resolve(env.AGENT_CLI_KEY_FILE ?? join(root, '.demo', 'agent-cli-key.json')))
  } catch (error) {
    console.error(`[setup] ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
  env.AGENT_CLI_JWKS = JSON.stringify(agentCliKey.publicJwks)
  const where = relative(root, agentCliKey.file).startsWith('..') ? agentCliKey.file : relative(root, agentCliKey.file)
  console.log(agentCliKey.created
    ? `[setup] generated the agent CLI's demo key in ${where} (kid ${agentCliKey.kid}); it stays in this checkout (.gitignore)`
    : `[setup] agent CLI key: ${where} (kid ${agentCliKey.kid})`)
}

const resource = new URL(env.RS_RESOURCE)
const prmUrl = `${resource.origin}/.well-known/oauth-protected-resource${resource.pathname === '/' ? '' : resource.pathname}`

const roles: Role[] = [
  { name: 'idp', folder: 'apps/idp', readyUrl: `${env.IDP_ISSUER}/.well-known/openid-configuration`, colour: 35 },
  { name: 'auth-server', folder: 'apps/authorization-server', readyUrl: `${env.AS_ISSUER}/.well-known/oauth-authorization-server`, colour: 33 },
  { name: 'mcp-server', folder: 'apps/resource-server', readyUrl: prmUrl, colour: 36 },
  { name: 'client', folder: 'apps/client', readyUrl: `${env.CLIENT_URL}/`, colour: 32 },
]

const width = Math.max(...roles.map((r) => r.name.length))
const children: ChildProcess[] = []
let stopping = false

for (const role of roles) {
  const child = spawn(process.execPath, ['src/main.ts'], { cwd: `${root}/${role.folder}`, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const prefix = `\x1b[${role.colour}m${role.name.padEnd(width)} |\x1b[0m `
  const relay = (stream: NodeJS.ReadableStream, out: NodeJS.WritableStream) => {
    let buffered = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) out.write(prefix + line + '\n')
    })
  }
  relay(child.stdout!, process.stdout)
  relay(child.stderr!, process.stderr)
  child.on('exit', (code, signal) => {
    if (stopping) return
    console.error(`${prefix}exited (${signal ?? code}); stopping every role.`)
    stop(1)
  })
  children.push(child)
}

function stop(code: number): void {
  stopping = true
  for (const child of children) child.kill('SIGTERM')
  setTimeout(() => process.exit(code), 500).unref()
}
process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))

async function waitUntilReady(role: Role, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const response = await fetch(role.readyUrl)
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`${role.name} did not answer at ${role.readyUrl} within 30 s`)
}

try {
  const deadline = Date.now() + 30_000
  await Promise.all(roles.map((role) => waitUntilReady(role, deadline)))
} catch (error) {
  console.error(String(error))
  stop(1)
}

if (!stopping) {
  const bold = (s: string) => `\x1b[1m${s}\x1b[0m`
  console.log(`
${bold('MCP Enterprise-Managed Authorization: every role is running.')}

  ${bold('Open the demo')}       ${env.CLIENT_URL}
                      sign in as alice / alice-password (tasks.read + tasks.write),
                      bob / bob-password (tasks.read), carol / carol-password (no access)
${(env.AGENT_CLI_JWKS ?? '').trim() === '' ? '' : `
  ${bold('Try the agent CLI')}   npm run agent -- login        (once: sign in through your browser)
                      npm run agent -- call whoami  (later runs need no login)
                      acme-agent-cli authenticates with private_key_jwt at the IdP and the auth server
`}
  Acme SSO (IdP)      ${env.IDP_ISSUER}/.well-known/openid-configuration
  MCP auth server     ${env.AS_ISSUER}/.well-known/oauth-authorization-server
  MCP server Tasks    ${env.RS_RESOURCE}   (metadata: ${prmUrl})

  Ctrl-C stops everything. Keys and data are in memory: a restart starts afresh
  (except the agent CLI's key pair in .demo/, made once per checkout).
`)
}
