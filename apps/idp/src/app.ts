import type { Logger } from '@ema/server-kit'
import { authorizationServerMetadataRoute } from '@ema/provider-kit'
import { WELL_KNOWN, type SigningKey } from '@ema/tokens'
import express, { type Express } from 'express'
import type { IdpConfig } from './config.ts'
import { createProvider } from './create-provider.ts'
import { signInRoutes } from './interactions/sign-in.ts'

export interface IdpDeps {
  /** The key that signs ID tokens and ID-JAGs, published at /jwks (IDP-38). */
  signingKey: SigningKey
  /** The clock used to validate subject tokens and stamp ID-JAGs. */
  now: () => Date
  log: Logger
}

/**
 * Acme SSO, the mock enterprise IdP: OIDC sign-in (oidc-provider) and ID-JAG issuance through
 * RFC 8693 token exchange. No side effects: the caller listens.
 */
export function createIdpApp(config: IdpConfig, deps: IdpDeps): Express {
  const provider = createProvider(config, deps)
  const app = express()
  app.disable('x-powered-by')

  // The login page oidc-provider sends the browser to. Before oidc-provider's own routes.
  app.use(signInRoutes(provider, config, deps.log))

  // /auth, /token, /jwks, /me, discovery … (oidc-provider), and the same discovery document as
  // RFC 8414 metadata (IDP-01, IDP-02).
  const providerHandler = provider.callback()
  app.get(WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER, authorizationServerMetadataRoute(providerHandler))
  app.use(providerHandler)
  return app
}
