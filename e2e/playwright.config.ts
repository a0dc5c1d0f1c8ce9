import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ensureAgentCliKey, ensureDemoPki } from '@ema/demo-kit'
import { defineConfig } from '@playwright/test'

// The browser: $CHROMIUM_PATH, else the machine's Chromium (Debian package `chromium`), else
// Playwright's own download (`npx playwright install chromium`) where that is possible.
const executablePath =
  process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))

// Every role on its own port, away from the `npm start` defaults so the two can run side by side.
const base = Number(process.env.E2E_BASE_PORT ?? 5100)
export const urls = {
  client: `http://localhost:${base}`,
  idp: `http://localhost:${base + 1}`,
  as: `http://localhost:${base + 2}`,
  rs: `http://localhost:${base + 3}/mcp`,
  tasksApi: `http://localhost:${base + 4}`,
  asMtls: `https://localhost:${base + 12}`,
}

/** The demo PKI as `npm start` makes it (`.demo/pki/`, once per checkout): the AS's mTLS alias and the MCP server's certificate. */
const pki = await ensureDemoPki(fileURLToPath(new URL('../.demo/pki/', import.meta.url)))

/**
 * The agent CLI's key pair for these tests, as `npm start` makes one: the private JWK in a file the
 * CLI reads (git-ignored .demo/), the public JWK Set for the IdP and the authorization server. Made
 * once and then read, because Playwright evaluates this file in the runner and again in each worker.
 */
export const agentCliKeyFile = fileURLToPath(new URL('../.demo/e2e-agent-cli-key.json', import.meta.url))
function agentCliJwks(): string {
  return JSON.stringify(ensureAgentCliKey(agentCliKeyFile).publicJwks)
}

/** The demo reset's shared secret for these tests (the specs read it from here). */
export const demoResetSecret = 'e2e-demo-reset-secret-not-for-real-use'

const env = {
  AGENT_CLI_JWKS: agentCliJwks(),
  IDP_ISSUER: urls.idp,
  AS_ISSUER: urls.as,
  RS_RESOURCE: urls.rs,
  CLIENT_URL: urls.client,
  // Step 8: the MCP server exchanges the user's token at the AS's mTLS alias (RFC 8693, RFC 8705
  // tls_client_auth), calls the Tasks API with the new one, and shows the second hop in _meta.
  TASKS_API_URL: urls.tasksApi,
  AS_MTLS_URL: urls.asMtls,
  AS_MTLS_CERT_FILE: pki.serverCertFile,
  AS_MTLS_KEY_FILE: pki.serverKeyFile,
  AS_MTLS_CA_FILE: pki.caFile,
  TOKEN_EXCHANGE_URL: `${urls.asMtls}/token`,
  TOKEN_EXCHANGE_CLIENT_ID: 'tasks-mcp-server',
  TOKEN_EXCHANGE_CLIENT_CERT_FILE: pki.clientCertFile,
  TOKEN_EXCHANGE_CLIENT_KEY_FILE: pki.clientKeyFile,
  TOKEN_EXCHANGE_CA_FILE: pki.caFile,
  MCP_TRACE_DOWNSTREAM: 'true',
  ALLOW_INSECURE_HTTP: 'true',
  // The "Break it" panel's demo-only parts, as npm start sets them (docs/walkthrough.md).
  CLIENT_DEMO_ATTACKS: 'true',
  IDP_DEMO_ATTACKS: 'true',
  AS_DEMO_ATTACKS: 'true',
  // The demo reset (npm start sets it too, with a secret made per start): each role's POST /demo/reset.
  DEMO_RESET: 'true',
  // The page's "with and without enterprise-managed authorization" toggle: Acme Agent's interactive
  // registration at the AS, and the AS's own registration at the IdP for its federated sign-in (as npm start makes it).
  DEMO_CLASSIC: 'true',
  IDP_CLIENTS: JSON.stringify([
    {
      client_id: 'mcp-authorization-server',
      client_secret: 'mcp-authorization-server-idp-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [`${urls.as}/interaction/callback`],
    },
  ]),
  DEMO_RESET_SECRET: demoResetSecret,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  // The IdP starts from the demo policy every run; the admin spec's edits live in memory only.
  IDP_POLICY_STATE_FILE: 'off',
  // The admin console shows the audit trail from memory; no JSON lines in the test output.
  AUDIT_LOG: 'off',
}
const role = (folder: string, readyUrl: string) => ({
  command: 'node src/main.ts',
  cwd: `../apps/${folder}`,
  url: readyUrl,
  env,
  reuseExistingServer: false,
  timeout: 30_000,
  stdout: 'pipe' as const,
  stderr: 'pipe' as const,
})

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    baseURL: urls.client,
    trace: 'retain-on-failure',
    launchOptions: {
      ...(executablePath ? { executablePath } : {}),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: [
    role('idp', `${urls.idp}/.well-known/openid-configuration`),
    role('authorization-server', `${urls.as}/.well-known/oauth-authorization-server`),
    role('tasks-api', `${urls.tasksApi}/.well-known/oauth-protected-resource`),
    role('resource-server', `${urls.rs.replace('/mcp', '')}/.well-known/oauth-protected-resource/mcp`),
    role('client', `${urls.client}/`),
  ],
})
