import { assertTrustworthyUrl, WELL_KNOWN } from '@ema/tokens'
import { z } from 'zod'
import { asFlowError, FlowError } from './flow-error.ts'
import { safeBody, type Step, type StepRecorder } from './step.ts'
import { parseBearerChallenge } from './www-authenticate.ts'

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
  record?: StepRecorder
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
  const record = options.record ?? (() => {})
  const challenge = await probeWithoutToken(options, record)
  const metadataUrls = challenge.resource_metadata !== undefined
    ? [challenge.resource_metadata] // CL-02: the challenge wins
    : wellKnownCandidates(options.mcpServerUrl) // CL-02: path-aware first, then root

  const step: Step = { title: 'Protected resource metadata (RFC 9728)', status: 'ok', notes: [] }
  try {
    for (const metadataUrl of metadataUrls) {
      const url = new URL(metadataUrl)
      assertTrustworthyUrl(url, options.allowInsecureHttp) // CL-48
      step.request = { method: 'GET', url: url.href }
      const response = await fetchOrFail(options.fetch, url)
      const body: unknown = await response.json().catch(() => undefined)
      step.response = { status: response.status, body: safeBody(body) }
      if (response.status === 404 && metadataUrls.length > 1) {
        step.notes!.push(`${url.href} answered 404; trying the next well-known URL`)
        continue
      }
      if (!response.ok) throw new FlowError('invalid_resource_metadata', `The MCP server's metadata at ${url.href} answered HTTP ${response.status}`, { status: response.status })
      const parsed = ProtectedResourceMetadata.safeParse(body)
      if (!parsed.success) throw new FlowError('invalid_resource_metadata', `The MCP server's metadata at ${url.href} is not valid RFC 9728 metadata: ${parsed.error.issues[0]?.message ?? 'malformed'}`)
      const metadata = parsed.data
      // CL-03 (RFC 9728 §3.3): the resource must be identical to the one we asked about.
      if (metadata.resource !== options.mcpServerUrl) {
        throw new FlowError('invalid_resource_metadata', `The protected resource metadata describes "${metadata.resource}", not the configured MCP server "${options.mcpServerUrl}", so it was refused`)
      }
      const authorizationServer = chooseAuthorizationServer(metadata, options.expectedAuthorizationServer)
      step.notes!.push(`resource matches the configured MCP server (CL-03)`, `authorization server: ${authorizationServer} (CL-01)`)
      record(step)
      return { metadata, metadataUrl: url.href, authorizationServer, challengedScope: challenge.scope }
    }
    throw new FlowError('invalid_resource_metadata', `The MCP server publishes no protected resource metadata at ${metadataUrls.join(' or ')}`)
  } catch (error) {
    record({ ...step, status: 'error' })
    throw asFlowError(error)
  }
}

/** Step 1a: an unauthenticated MCP request must be answered with 401 and a Bearer challenge. */
async function probeWithoutToken(options: DiscoverProtectedResourceOptions, record: StepRecorder) {
  const url = new URL(options.mcpServerUrl)
  const step: Step = {
    title: 'Call the MCP server without a token',
    status: 'ok',
    request: { method: 'POST', url: url.href, params: { jsonrpc: '2.0', method: 'initialize' } },
  }
  try {
    assertTrustworthyUrl(url, options.allowInsecureHttp) // CL-48
    const response = await fetchOrFail(options.fetch, url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: PROBE_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'acme-agent-probe', version: '0.1.0' } },
      }),
    })
    await response.body?.cancel()
    const header = response.headers.get('www-authenticate')
    step.response = { status: response.status, body: header === null ? undefined : { 'WWW-Authenticate': header } }
    if (response.status !== 401) {
      throw new FlowError('unexpected_response', `The MCP server answered HTTP ${response.status} to a request without a token; expected 401 with a WWW-Authenticate challenge`, { status: response.status })
    }
    const challenge = parseBearerChallenge(header) ?? {}
    step.notes = [challenge.resource_metadata !== undefined
      ? `resource_metadata from WWW-Authenticate: ${challenge.resource_metadata} (CL-02)`
      : 'no resource_metadata in WWW-Authenticate: probing the well-known URLs (CL-02)']
    record(step)
    return challenge
  } catch (error) {
    record({ ...step, status: 'error' })
    throw asFlowError(error)
  }
}

/** CL-02: `/.well-known/oauth-protected-resource/<path>` first, then the root (RFC 9728 §3.1). */
export function wellKnownCandidates(mcpServerUrl: string): string[] {
  const url = new URL(mcpServerUrl)
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')
  const root = `${url.origin}${WELL_KNOWN.OAUTH_PROTECTED_RESOURCE}`
  return path === '' ? [root] : [`${root}${path}`, root]
}

/** CL-01: choose one entry; with a configured expectation, only that one. */
function chooseAuthorizationServer(metadata: ProtectedResourceMetadata, expected: string | undefined): string {
  if (expected === undefined) return metadata.authorization_servers[0]!
  if (metadata.authorization_servers.includes(expected)) return expected
  throw new FlowError('invalid_resource_metadata', `The MCP server names the authorization server(s) ${metadata.authorization_servers.join(', ')}, not the expected ${expected} (AS_ISSUER)`)
}

async function fetchOrFail(fetchFn: typeof fetch, url: URL, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetchFn(url, { ...init, redirect: 'manual' }) // CL-50: follow no redirects
  } catch (cause) {
    throw new FlowError('network_error', `Could not reach ${url.origin}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}
