import { fileURLToPath } from 'node:url'
import type { DemoPki } from './demo-pki.ts'
import type { RoleSpec } from './start-roles.ts'

/** The URLs every role derives its configuration from (docs/demo-world.md). */
export interface DemoWorldUrls {
  /** The client app; the IdP's redirect URI for acme-agent is `${client}/callback`. */
  client: string
  idp: string
  as: string
  /** The MCP server's resource URL. */
  rs: string
  /** The Tasks API behind the MCP server (its base URL and identifier, the `aud` of on-behalf-of tokens). */
  tasksApi: string
  /** The AS's RFC 8705 mTLS endpoint alias (an origin; its token endpoint is `${asMtls}/token`). */
  asMtls: string
}

/**
 * The demo world on consecutive ports: the client on `basePort`, then the IdP, the AS, the MCP server
 * and the Tasks API; the AS's mTLS alias on `basePort + 12`.
 */
export function demoWorldUrls(basePort: number): DemoWorldUrls {
  return {
    client: `http://localhost:${basePort}`,
    idp: `http://localhost:${basePort + 1}`,
    as: `http://localhost:${basePort + 2}`,
    rs: `http://localhost:${basePort + 3}/mcp`,
    tasksApi: `http://localhost:${basePort + 4}`,
    asMtls: `https://localhost:${basePort + 12}`,
  }
}

/** The MCP server's client at the authorization server for the on-behalf-of exchange (its secret: the variant without mTLS). */
const MCP_SERVER_CLIENT = { id: 'tasks-mcp-server', secret: 'tasks-mcp-server-secret' }

/** RFC 9728 §3.1: the protected resource metadata URL of a resource (the well-known part before its path). */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource)
  return `${url.origin}/.well-known/oauth-protected-resource${url.pathname === '/' ? '' : url.pathname}`
}

/** The absolute folder of `apps/<folder>` in this repository. */
export function appFolder(folder: string): string {
  return fileURLToPath(new URL(`../../../apps/${folder}/`, import.meta.url))
}

/**
 * The environment that puts the roles at `urls`: `base` (the caller passes its own environment)
 * without IDP_PORT, AS_PORT, RS_PORT, CLIENT_PORT, TASKS_API_PORT and every AS_MTLS_* and
 * TOKEN_EXCHANGE_* setting (every role listens on the port of its own URL), plus the URLs,
 * ALLOW_INSECURE_HTTP=true, LOG_LEVEL=warn, the MCP server's token exchange client, then `extra`.
 *
 * With `pki` (`ensureDemoPki`), the AS serves its mTLS alias at `urls.asMtls` and the MCP server
 * authenticates there with its certificate (tls_client_auth, as `npm start` does); without, the MCP
 * server uses its secret (client_secret_basic) at the AS's plain token endpoint.
 */
export function demoWorldEnv(
  base: NodeJS.ProcessEnv,
  urls: DemoWorldUrls,
  extra: Record<string, string> = {},
  pki?: DemoPki,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    IDP_ISSUER: urls.idp,
    AS_ISSUER: urls.as,
    RS_RESOURCE: urls.rs,
    CLIENT_URL: urls.client,
    TASKS_API_URL: urls.tasksApi,
    ALLOW_INSECURE_HTTP: 'true',
    LOG_LEVEL: 'warn',
    // The IdP's demo policy as the data file gives it, never a developer's admin edits in .demo/.
    IDP_POLICY_STATE_FILE: 'off',
    // No audit lines in the test output; a test that reads the trail sets AUDIT_LOG to a file.
    AUDIT_LOG: 'off',
  }
  for (const name of ['IDP_PORT', 'AS_PORT', 'RS_PORT', 'CLIENT_PORT', 'TASKS_API_PORT']) delete env[name]
  for (const name of Object.keys(env))
    if (name.startsWith('AS_MTLS_') || name.startsWith('TOKEN_EXCHANGE_')) delete env[name]
  const exchange: Record<string, string> =
    pki === undefined
      ? {
          TOKEN_EXCHANGE_URL: `${urls.as}/token`,
          TOKEN_EXCHANGE_CLIENT_ID: MCP_SERVER_CLIENT.id,
          TOKEN_EXCHANGE_CLIENT_SECRET: MCP_SERVER_CLIENT.secret,
        }
      : {
          AS_MTLS_URL: urls.asMtls,
          AS_MTLS_CERT_FILE: pki.serverCertFile,
          AS_MTLS_KEY_FILE: pki.serverKeyFile,
          AS_MTLS_CA_FILE: pki.caFile,
          TOKEN_EXCHANGE_URL: `${urls.asMtls}/token`,
          TOKEN_EXCHANGE_CLIENT_ID: MCP_SERVER_CLIENT.id,
          TOKEN_EXCHANGE_CLIENT_CERT_FILE: pki.clientCertFile,
          TOKEN_EXCHANGE_CLIENT_KEY_FILE: pki.clientKeyFile,
          TOKEN_EXCHANGE_CA_FILE: pki.caFile,
        }
  return { ...env, ...exchange, ...extra }
}

/**
 * The IdP ("idp"), the authorization server ("as"), the Tasks API ("tasks-api") and the MCP server
 * ("mcp") at `urls`, each ready once its metadata answers: OpenID configuration, RFC 8414 and RFC 9728 metadata.
 */
export function demoWorldRoles(urls: DemoWorldUrls): RoleSpec[] {
  const port = (url: string) => (new URL(url).port === '' ? undefined : Number(new URL(url).port))
  return [
    {
      name: 'idp',
      cwd: appFolder('idp'),
      port: port(urls.idp),
      readyUrl: `${urls.idp}/.well-known/openid-configuration`,
    },
    {
      name: 'as',
      cwd: appFolder('authorization-server'),
      port: port(urls.as),
      readyUrl: `${urls.as}/.well-known/oauth-authorization-server`,
    },
    {
      name: 'tasks-api',
      cwd: appFolder('tasks-api'),
      port: port(urls.tasksApi),
      readyUrl: protectedResourceMetadataUrl(urls.tasksApi),
    },
    {
      name: 'mcp',
      cwd: appFolder('resource-server'),
      port: port(urls.rs),
      readyUrl: protectedResourceMetadataUrl(urls.rs),
    },
  ]
}
