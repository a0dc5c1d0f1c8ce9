import { WELL_KNOWN } from '@ema/tokens'
import type { RequestHandler } from 'express'
import type { TasksApiConfig } from './config.ts'

/** RFC 9728 §3.1: the metadata path for our identifier (the well-known part before its path). */
export function protectedResourceMetadataPath(identifier: string): string {
  const { pathname } = new URL(identifier)
  return `${WELL_KNOWN.OAUTH_PROTECTED_RESOURCE}${pathname === '/' ? '' : pathname}`
}

/** RFC 9728 §2: who we are, whose tokens we take, our scopes, and that a token travels only in the header. */
export function serveProtectedResourceMetadata(config: TasksApiConfig): RequestHandler {
  const document = {
    resource: config.identifier,
    authorization_servers: [config.authorizationServer.issuer],
    scopes_supported: config.scopesSupported,
    bearer_methods_supported: ['header'],
    resource_name: 'Tasks API',
  }
  return (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(document)
  }
}
