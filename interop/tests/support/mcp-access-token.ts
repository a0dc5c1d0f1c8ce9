import { basicAuthorization as basic, clientSecretBasic, signInAtIdp } from '@ema/demo-kit'
import type { TokenExchangeConfig } from '@ema/token-exchange'
import { roleEnv, urls } from './start-roles.ts'

/**
 * The whole chain over HTTP for one user, as acme-agent: sign-in at the IdP (ID token), RFC 8693 at
 * the IdP (ID-JAG), RFC 7523 at the AS (the MCP access token, aud = the MCP server). Returns every
 * credential on the way, so a test can search logs for them.
 */
export async function mcpAccessTokenOf(
  username: string,
  password: string,
): Promise<{ idToken: string; idJag: string; accessToken: string }> {
  const { id_token: idToken } = await signInAtIdp({
    idp: urls.idp,
    clientId: 'acme-agent',
    redirectUri: `${urls.client}/callback`,
    clientAuth: clientSecretBasic('acme-agent', 'acme-agent-idp-secret'),
    username,
    password,
  })
  const idJag = await tokenOf(
    `${urls.idp}/token`,
    {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
      subject_token: idToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      audience: urls.as,
      resource: urls.rs,
    },
    basic('acme-agent', 'acme-agent-idp-secret'),
  )
  const accessToken = await tokenOf(
    `${urls.as}/token`,
    { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: idJag, resource: urls.rs },
    basic('acme-agent-tasks', 'acme-agent-as-secret'),
  )
  return { idToken, idJag, accessToken }
}

async function tokenOf(url: string, params: Record<string, string>, authorization: string): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  })
  const body = (await res.json()) as { access_token?: unknown; error?: unknown }
  if (res.status !== 200 || typeof body.access_token !== 'string')
    throw new Error(`${url} answered ${res.status} ${String(body.error)}`)
  return body.access_token
}

/** A raw MCP client over Streamable HTTP with a fixed bearer token: initialize once, then JSON-RPC calls (JSON or SSE answers). */
export async function openMcpSession(accessToken: string): Promise<{
  call(
    method: string,
    params: Record<string, unknown>,
  ): Promise<{ status: number; message: Record<string, unknown> | undefined }>
}> {
  let id = 0
  let sessionId: string | undefined
  const post = async (body: Record<string, unknown>) => {
    const res = await fetch(urls.rs, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-06-18',
        ...(sessionId === undefined ? {} : { 'mcp-session-id': sessionId }),
      },
      body: JSON.stringify(body),
    })
    sessionId ??= res.headers.get('mcp-session-id') ?? undefined
    const text = await res.text()
    const json = (res.headers.get('content-type') ?? '').startsWith('text/event-stream')
      ? text
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .at(-1)
      : text
    let message: Record<string, unknown> | undefined
    try {
      message = json === undefined || json === '' ? undefined : (JSON.parse(json) as Record<string, unknown>)
    } catch {
      message = undefined
    }
    return { status: res.status, message }
  }
  await post({
    jsonrpc: '2.0',
    id: ++id,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'interop-obo', version: '1' } },
  })
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' })
  return { call: (method, params) => post({ jsonrpc: '2.0', id: ++id, method, params }) }
}

/** The MCP server's exchange client, from the environment the roles got: what the MCP server itself uses. */
export function mcpServerExchangeConfig(): TokenExchangeConfig {
  const env = roleEnv()
  const certFile = env.TOKEN_EXCHANGE_CLIENT_CERT_FILE
  const keyFile = env.TOKEN_EXCHANGE_CLIENT_KEY_FILE
  return {
    tokenUrl: env.TOKEN_EXCHANGE_URL ?? fail('no TOKEN_EXCHANGE_URL'),
    clientId: env.TOKEN_EXCHANGE_CLIENT_ID ?? 'tasks-mcp-server',
    audience: urls.tasksApi,
    ...(certFile !== undefined && keyFile !== undefined
      ? {
          clientCertificate: {
            certFile,
            keyFile,
            ...(env.TOKEN_EXCHANGE_CA_FILE === undefined ? {} : { caFile: env.TOKEN_EXCHANGE_CA_FILE }),
          },
        }
      : { clientSecret: env.TOKEN_EXCHANGE_CLIENT_SECRET ?? fail('no client credentials for the exchange') }),
  }
}

function fail(message: string): never {
  throw new Error(message)
}
