import { assertTrustworthyUrl, WELL_KNOWN } from '@ema/tokens'
import { z } from 'zod'
import { fetchMetadata, fetchOrFail } from './fetch-metadata.ts'
import { FlowError } from './flow-error.ts'
import { type BearerChallenge, parseBearerChallenge } from './www-authenticate.ts'

/** RFC 9728 §2 Protected Resource Metadata: the members this client uses; others pass through. */
export const ProtectedResourceMetadata = z.looseObject({
  resource: z.string().min(1),
  authorization_servers: z.array(z.string().min(1)).min(1),
  scopes_supported: z.array(z.string()).optional(),
})
export type ProtectedResourceMetadata = z.infer<typeof ProtectedResourceMetadata>

export interface DiscoverProtectedResourceOptions {
  /** The MCP server URL the agent is configured with; its resource identifier (CL-03). */
  mcpServerUrl: string
  /** If set, the authorization server we expect the metadata to list (configuration cross-check). */
  expectedAuthorizationServer?: string | undefined
  fetch: typeof fetch
  allowInsecureHttp: boolean
}

export interface ProtectedResource {
  metadata: ProtectedResourceMetadata
  /** Where the metadata was found. */
  metadataUrl: string
  /** The chosen entry of `authorization_servers` (CL-01). */
  authorizationServer: string
  /** The `scope` of the 401 challenge, if any (CL-22 scope selection). */
  challengedScope: string | undefined
}

/** MCP protocol version sent with the unauthenticated probe. */
const PROBE_PROTOCOL_VERSION = '2025-06-18'

/**
 * Finds the MCP server's authorization server (CL-01…CL-03):
 * 1. POSTs an MCP `initialize` to the MCP server without a token and expects 401;
 * 2. reads `resource_metadata` from the `WWW-Authenticate` Bearer challenge, or else probes
 *    `/.well-known/oauth-protected-resource/<path>` and then the root well-known URL (CL-02);
 * 3. accepts the metadata only if `resource` is identical to the configured MCP server URL (CL-03);
 * 4. chooses one `authorization_servers` entry (CL-01).
 *
 * Does NOT discover the authorization server's own metadata: see `discoverAuthorizationServer`.
 * @throws {FlowError} when the server does not challenge, or no acceptable metadata is found.
 */
export async function discoverProtectedResource(options: DiscoverProtectedResourceOptions): Promise<ProtectedResource> {
  const challenge = await probeWithoutToken(options)
  const { metadata, url } = await fetchMetadata({
    candidates:
      challenge.resource_metadata !== undefined
        ? [challenge.resource_metadata] // CL-02: the challenge wins
        : wellKnownCandidates(options.mcpServerUrl), // CL-02: path-aware first, then root
    schema: ProtectedResourceMetadata,
    whose: "The MCP server's protected resource metadata (RFC 9728)",
    error: 'invalid_resource_metadata',
    fetch: options.fetch,
    allowInsecureHttp: options.allowInsecureHttp,
  })
  // CL-03 (RFC 9728 §3.3): the resource must be identical to the one we asked about.
  if (metadata.resource !== options.mcpServerUrl) {
    throw new FlowError(
      'invalid_resource_metadata',
      `The protected resource metadata describes "${metadata.resource}", not the configured MCP server "${options.mcpServerUrl}", so it was refused`,
    )
  }
  const authorizationServer = chooseAuthorizationServer(metadata, options.expectedAuthorizationServer)
  return { metadata, metadataUrl: url, authorizationServer, challengedScope: challenge.scope }
}

/** Step 1a: an unauthenticated MCP request must be answered with 401 and a Bearer challenge. */
async function probeWithoutToken(options: DiscoverProtectedResourceOptions): Promise<BearerChallenge> {
  const url = new URL(options.mcpServerUrl)
  assertTrustworthyUrl(url, options.allowInsecureHttp) // CL-48
  const response = await fetchOrFail(options.fetch, url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: PROBE_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'id-jag-client-probe', version: '0.1.0' },
      },
    }),
  })
  await response.body?.cancel()
  if (response.status !== 401) {
    throw new FlowError(
      'unexpected_response',
      `The MCP server answered HTTP ${response.status} to a request without a token; expected 401 with a WWW-Authenticate challenge`,
      { status: response.status },
    )
  }
  return parseBearerChallenge(response.headers.get('www-authenticate')) ?? {}
}

/** CL-02: `/.well-known/oauth-protected-resource/<path>` first, then the root (RFC 9728 §3.1). */
function wellKnownCandidates(mcpServerUrl: string): string[] {
  const url = new URL(mcpServerUrl)
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')
  const root = `${url.origin}${WELL_KNOWN.OAUTH_PROTECTED_RESOURCE}`
  return path === '' ? [root] : [`${root}${path}`, root]
}

/** CL-01: choose one entry; with a configured expectation, only that one. */
function chooseAuthorizationServer(metadata: ProtectedResourceMetadata, expected: string | undefined): string {
  if (expected === undefined) return metadata.authorization_servers[0]!
  if (metadata.authorization_servers.includes(expected)) return expected
  throw new FlowError(
    'invalid_resource_metadata',
    `The MCP server names the authorization server(s) ${metadata.authorization_servers.join(', ')}, not the expected ${expected} (AS_ISSUER)`,
  )
}
