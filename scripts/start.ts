// `npm start`: every role on localhost with in-memory defaults, logs prefixed by role, and the URLs
// to open once all of them answer. Ctrl-C stops them all; if one dies, all stop.
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
// demo-kit's parts one by one (package.json "exports"): its index would load what a start does not need.
import { type AgentCliKey, ensureAgentCliKey } from '@ema/demo-kit/agent-cli-key'
import { ensureDemoPki } from '@ema/demo-kit/demo-pki'
import { protectedResourceMetadataUrl } from '@ema/demo-kit/demo-world'
import { demoBundles, demoRoles, runDemoRoles, withDemoUrls } from './demo-roles.ts'

// Plain http on localhost is opted into loudly: every role warns about it at start-up (style rule 10).
const env = withDemoUrls({ ...process.env })
// The client app's "Break it" panel replays the chain with one thing wrong against the real roles; each
// role opts in to its small demo-only part, loudly (docs/walkthrough.md). Set any of them to false to leave it out.
env.CLIENT_DEMO_ATTACKS ??= 'true'
env.IDP_DEMO_ATTACKS ??= 'true'
env.AS_DEMO_ATTACKS ??= 'true'
// The page's "with and without enterprise-managed authorization" toggle: Acme Agent's second, interactive
// registration at the auth server (redirect URI ${CLIENT_URL}/classic/callback), for the classic MCP flow.
env.DEMO_CLASSIC ??= 'true'

const root = fileURLToPath(new URL('..', import.meta.url))

// The demo reset (docs/walkthrough.md, "Reset"): each role's POST /demo/reset, behind a secret made
// per start and kept in .demo/ (git-ignored, mode 600) for `npm run demo:reset`. DEMO_RESET=false leaves it out.
env.DEMO_RESET ??= 'true'
if (env.DEMO_RESET === 'true' && env.DEMO_RESET_SECRET === undefined) {
  env.DEMO_RESET_SECRET = randomBytes(24).toString('base64url')
  mkdirSync(join(root, '.demo'), { recursive: true })
  writeFileSync(join(root, '.demo', 'demo-reset-secret'), env.DEMO_RESET_SECRET + '\n', { mode: 0o600 })
  chmodSync(join(root, '.demo', 'demo-reset-secret'), 0o600)
}

// Decision 0050: the auth server signs users in for its authorization code flow as a confidential
// client of the IdP, registered there through IDP_CLIENTS (with the auth server's SIGN_IN_IDP_* values,
// else its demo defaults). Registrations the user put in IDP_CLIENTS are kept; one with the same
// client_id is taken as the user's own registration of the auth server.
const asAtIdp = {
  client_id: env.SIGN_IN_IDP_CLIENT_ID ?? 'mcp-authorization-server',
  client_secret: env.SIGN_IN_IDP_CLIENT_SECRET ?? 'mcp-authorization-server-idp-secret',
  token_endpoint_auth_method: 'client_secret_basic',
  redirect_uris: [`${env.AS_ISSUER.replace(/\/$/, '')}/interaction/callback`],
}
const idpClients = readIdpClients(env.IDP_CLIENTS)
if (idpClients !== undefined && !idpClients.some((client) => client.client_id === asAtIdp.client_id)) {
  env.IDP_CLIENTS = JSON.stringify([...idpClients, asAtIdp])
}

/** IDP_CLIENTS as given (absent or empty → none); undefined when it is not a JSON array (the IdP reports it). */
function readIdpClients(json: string | undefined): Array<{ client_id?: unknown }> | undefined {
  if (json === undefined || json.trim() === '') return []
  try {
    const value: unknown = JSON.parse(json)
    return Array.isArray(value) ? (value as Array<{ client_id?: unknown }>) : undefined
  } catch {
    return undefined
  }
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
  if (agentCliKey.readableByOthers)
    console.warn(`[setup] !!! ${agentCliKey.file} is readable by other users; run: chmod 600 ${agentCliKey.file} !!!`)
  env.AGENT_CLI_JWKS = JSON.stringify(agentCliKey.publicJwks)
  const where = relative(root, agentCliKey.file).startsWith('..') ? agentCliKey.file : relative(root, agentCliKey.file)
  console.log(
    agentCliKey.created
      ? `[setup] generated the agent CLI's demo key in ${where} (kid ${agentCliKey.kid}); it stays in this checkout (.gitignore)`
      : `[setup] agent CLI key: ${where} (kid ${agentCliKey.kid})`,
  )
}

// RFC 8705: the demo PKI (made once per checkout in .demo/pki/) lets the auth server serve its mTLS
// endpoint alias and the MCP server authenticate with its certificate for the on-behalf-of exchange.
// Setting AS_MTLS_CERT_FILE (even empty, which switches mTLS off) leaves all of it to the user.
let mtlsUrl: string | undefined
if (env.AS_MTLS_CERT_FILE === undefined) {
  try {
    const pki = await ensureDemoPki(resolve(join(root, '.demo', 'pki')))
    env.AS_MTLS_CERT_FILE = pki.serverCertFile
    env.AS_MTLS_KEY_FILE = pki.serverKeyFile
    env.AS_MTLS_CA_FILE = pki.caFile
    env.AS_MTLS_URL ??= 'https://localhost:4012'
    env.TOKEN_EXCHANGE_CLIENT_CERT_FILE ??= pki.clientCertFile
    env.TOKEN_EXCHANGE_CLIENT_KEY_FILE ??= pki.clientKeyFile
    env.TOKEN_EXCHANGE_CA_FILE ??= pki.caFile
    console.log(
      pki.created
        ? `[setup] made the demo PKI in ${relative(root, pki.dir)} (CA, auth server TLS certificate, tasks-mcp-server client certificate); it stays in this checkout (.gitignore)`
        : `[setup] demo PKI: ${relative(root, pki.dir)}`,
    )
  } catch (error) {
    console.error(`[setup] cannot make the demo PKI: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
}
if ((env.AS_MTLS_CERT_FILE ?? '') !== '') mtlsUrl = env.AS_MTLS_URL ?? 'https://localhost:4012'

// The MCP server's on-behalf-of exchange at the AS (OBO-07): its certificate at the mTLS alias, or,
// with mTLS off, its secret at the plain token endpoint; and the second hop shown in tool results.
env.TOKEN_EXCHANGE_CLIENT_ID ??= 'tasks-mcp-server'
if (env.TOKEN_EXCHANGE_CLIENT_CERT_FILE !== undefined && mtlsUrl !== undefined)
  env.TOKEN_EXCHANGE_URL ??= `${mtlsUrl}/token`
if (env.TOKEN_EXCHANGE_CLIENT_CERT_FILE === undefined && env.TOKEN_EXCHANGE_CLIENT_SECRET === undefined) {
  env.TOKEN_EXCHANGE_URL ??= `${env.AS_ISSUER}/token`
  env.TOKEN_EXCHANGE_CLIENT_SECRET = 'tasks-mcp-server-secret'
}
env.MCP_TRACE_DOWNSTREAM ??= 'true'

const prmUrl = protectedResourceMetadataUrl(env.RS_RESOURCE)
// Decision 0105: each role runs as a bundle of its sources, made again only when one of them changed.
const bundles = await demoBundles(env)

const launchedAt = performance.now()
if (await runDemoRoles(demoRoles(env, {}, bundles), env, (code) => process.exit(code))) {
  const bold = (s: string) => `\x1b[1m${s}\x1b[0m`
  console.log(`
${bold('MCP Enterprise-Managed Authorization: every role is running.')} Ready ${((performance.now() - launchedAt) / 1000).toFixed(2)} s after the roles were launched (${(performance.now() / 1000).toFixed(2)} s after this script started).

  ${bold('Open the demo')}       ${env.CLIENT_URL}
                      sign in as alice / alice-password (tasks.read + tasks.write),
                      bob / bob-password (tasks.read), carol / carol-password (no access)
${
  (env.AGENT_CLI_JWKS ?? '').trim() === ''
    ? ''
    : `
  ${bold('Try the agent CLI')}   npm run agent -- login        (once: sign in through your browser)
                      npm run agent -- call whoami  (later runs need no login)
                      acme-agent-cli authenticates with private_key_jwt at the IdP and the auth server
`
}
  ${bold('Administer it')}       ${env.IDP_ISSUER}/admin   (admin / admin-password: rules, users, clients, audit trail)
                      IDP_DEMO_POLICY=step-up npm start: tasks.write needs a sign-in at most 60 s old

  Acme SSO (IdP)      ${env.IDP_ISSUER}/.well-known/openid-configuration
  MCP auth server     ${env.AS_ISSUER}/.well-known/oauth-authorization-server
${
  mtlsUrl === undefined
    ? ''
    : `  auth server mTLS    ${mtlsUrl}/token   (RFC 8705 alias; tasks-mcp-server uses its certificate)
`
}  MCP server Tasks    ${env.RS_RESOURCE}   (metadata: ${prmUrl})
  Tasks API           ${env.TASKS_API_URL}   (reached only by the MCP server, with on-behalf-of tokens)

${
  env.DEMO_RESET === 'true'
    ? `  ${bold('Reset the demo')}      npm run demo:reset   (or the page's "Reset the demo" button, R in presenter mode):
                      empty task lists, forgotten ID-JAG jtis, the demo policy, no sessions; no restart
`
    : ''
}
  Ctrl-C stops everything. Keys and data are in memory: a restart starts afresh
  (except the agent CLI's key pair and the demo PKI in .demo/, made once per checkout, and the
  administrator's policy edits in .demo/idp-policy.json: the console's Reset button restores the demo's).
`)
}
