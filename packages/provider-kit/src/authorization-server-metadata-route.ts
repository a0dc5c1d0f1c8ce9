import type { RequestHandler } from 'express'
import { WELL_KNOWN } from '@ema/tokens'

/**
 * RFC 8414 metadata at `/.well-known/oauth-authorization-server`, with the same content as
 * oidc-provider's OIDC Discovery document: the request is handed to the provider as a request for its
 * discovery route, so there is one source of truth (AS-01, IDP-01, IDP-02).
 */
export function authorizationServerMetadataRoute(provider: RequestHandler): RequestHandler {
  return function serveAuthorizationServerMetadata(req, res, next) {
    req.url = WELL_KNOWN.OPENID_CONFIGURATION
    provider(req, res, next)
  }
}
