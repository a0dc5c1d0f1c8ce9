import { WELL_KNOWN } from '@ema/tokens'
import type { RequestHandler } from 'express'
import type { ResourceServerConfig } from './config.ts'

/** The RFC 9728 §2 protected resource metadata document. Wire names are kept. */
export interface ProtectedResourceMetadata {
  resource: string
  authorization_servers: string[]
  scopes_supported: string[]
  bearer_methods_supported: string[]
  resource_name: string
}

/**
 * RS-03, RFC 9728 §3.1: the metadata URL is formed by inserting the well-known path between the
 * host and the path of the resource identifier: `http://localhost:4003/mcp` →
 * `http://localhost:4003/.well-known/oauth-protected-resource/mcp`.
 */
export function protectedResourceMetadataPath(resource: string): string {
  const { pathname } = new URL(resource)
  return WELL_KNOWN.OAUTH_PROTECTED_RESOURCE + (pathname === '/' ? '' : pathname)
}

/** The absolute metadata URL, as named in `WWW-Authenticate: Bearer resource_metadata="…"` (RS-05). */
export function protectedResourceMetadataUrl(resource: string): string {
  return new URL(resource).origin + protectedResourceMetadataPath(resource)
}

/** Builds the document for this MCP server. */
function protectedResourceMetadata(config: ResourceServerConfig): ProtectedResourceMetadata {
  return {
    resource: config.resource, // RS-02, RFC 9728 §3.3: identical to the identifier the URL was formed from
    authorization_servers: [config.authorizationServer.issuer], // RS-01: in EMA, the MCP authorization server
    scopes_supported: [...config.scopesSupported], // RS-04, RS-14: never offline_access
    bearer_methods_supported: ['header'], // RS-04, RS-12: the Authorization header only
    resource_name: config.resourceName, // RS-04
  }
}

/**
 * Serves the document. It is public (no token needed) and is served only at the path-inserted URL:
 * a document at the bare root would name a `resource` that differs from the URL it was fetched
 * from, which RFC 9728 §3.3 tells clients to reject.
 */
export function serveProtectedResourceMetadata(config: ResourceServerConfig): RequestHandler {
  const body = JSON.stringify(protectedResourceMetadata(config))
  return (_req, res) => {
    res.status(200).set({ 'content-type': 'application/json', 'cache-control': 'public, max-age=300' }).send(body)
  }
}
