import type { Logger } from '@ema/server-kit'
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

  // IDP-01, IDP-02: RFC 8414 metadata, the same document as OIDC discovery.
  app.get(WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER, (req, _res, next) => {
    req.url = WELL_KNOWN.OPENID_CONFIGURATION
    next()
  })

  // /auth, /token, /jwks, /me, discovery … (oidc-provider).
  app.use(provider.callback())
  return app
}
