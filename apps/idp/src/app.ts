import { createAuditLog, demoResetRoutes, healthRoutes, type AuditLog, type Logger } from '@ema/server-kit'
import {
  authorizationServerMetadataRoute,
  providerFirst,
  rateLimitTokenEndpoint,
  requirePost,
  type RateLimitWindows,
} from '@ema/provider-kit'
import type { AdapterFactory } from 'oidc-provider'
import { WELL_KNOWN, type SigningKey } from '@ema/tokens'
import express, { type ErrorRequestHandler } from 'express'
import type { RequestListener } from 'node:http'
import type { IdpConfig } from './config.ts'
import { createProvider } from './create-provider.ts'
import { renderSignInErrorPage } from './interactions/login-page.ts'
import { signInRoutes } from './interactions/sign-in.ts'
import { adminRoutes } from './admin/admin-routes.ts'
import { openPolicyStore, type PolicyStore } from './policy/policy-store.ts'

export interface IdpDeps {
  /** The key that signs ID tokens and ID-JAGs, published at /jwks (IDP-38). */
  signingKey: SigningKey
  /**
   * Every key /jwks publishes, `signingKey` first (rotation: a key being retired or introduced still
   * verifies). Default: `signingKey` alone.
   */
  publishedKeys?: readonly SigningKey[]
  /** The clock used to validate subject tokens and stamp ID-JAGs. */
  now: () => Date
  log: Logger
  /** oidc-provider's storage (sessions, grants, codes, refresh tokens …). Default: oidc-provider's in-process store. */
  adapter?: AdapterFactory
  /** The token endpoint's rate-limit windows. Default: this process's. */
  rateLimitWindows?: RateLimitWindows
  /** `/readyz`: resolves when the store answers. Default: always ready. */
  ready?: () => Promise<void>
  /** `/readyz` answers 503 once this is true (shutdown began). */
  draining?: () => boolean
  /**
   * The administrator's policy in force (main.ts opens it on the state file). Default: the demo
   * policy of `config`, in memory only, so that a test never reads or writes a developer's edits.
   */
  policy?: PolicyStore
  /** The audit trail (main.ts writes it to `AUDIT_LOG`). Default: kept in memory, written nowhere. */
  audit?: AuditLog
}

/**
 * Acme SSO, the mock enterprise IdP: OIDC sign-in (oidc-provider) and ID-JAG issuance through
 * RFC 8693 token exchange. No side effects: the caller listens.
 */
export function createIdpApp(config: IdpConfig, deps: IdpDeps): RequestListener {
  const policy = deps.policy ?? openPolicyStore({ demoPolicy: config.policy, world: config })
  const audit = deps.audit ?? createAuditLog({ role: 'idp', destination: { kind: 'off' }, now: deps.now })
  const provider = createProvider(config, { ...deps, policy, audit })
  const app = express()
  app.disable('x-powered-by')
  // /healthz (alive) and /readyz (its store answers), before anything that could need the store.
  app.use(healthRoutes({ ready: deps.ready, draining: deps.draining, log: deps.log }))

  // Demo only (DEMO_RESET=true, the shared DEMO_RESET_SECRET): the admin console's reset, for `npm run demo:reset`.
  app.use(
    demoResetRoutes({
      config: config.demoReset,
      reset: async () => {
        await policy.reset()
        return ['idp: the demo policy is back in force (sign-in sessions are kept)']
      },
      log: deps.log,
    }),
  )

  // The login page oidc-provider sends the browser to. Before oidc-provider's own routes.
  app.use(signInRoutes(provider, config, policy, deps.log))
  // The administrator's console and JSON API at /admin (admin/admin-routes.ts).
  app.use('/admin', adminRoutes({ config, policy, audit, log: deps.log, now: deps.now }))

  // /auth, /token, /jwks, /me, discovery … (oidc-provider), and the same discovery document as
  // RFC 8414 metadata (IDP-01, IDP-02).
  provider.use(requirePost(TOKEN_PATH, deps.log)) // RFC 6749 §3.2: the token endpoint is POST only
  // IDP-27, SEC-07: per-client rate limit, before oidc-provider does any work of its own (decision 0010).
  provider.use(
    rateLimitTokenEndpoint({
      paths: [TOKEN_PATH],
      perMinute: config.tokenRateLimitPerMinute,
      now: deps.now,
      log: deps.log,
      windows: deps.rateLimitWindows,
    }),
  )
  const providerHandler = provider.callback()
  app.get(WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER, authorizationServerMetadataRoute(providerHandler))
  app.use(providerHandler)
  app.use(signInErrors(deps.log))
  // Decision 0023: the token endpoint, the JWKS and the discovery document go to oidc-provider with
  // nothing in front of it.
  return providerFirst(providerHandler, app, [TOKEN_PATH, '/jwks', '/.well-known/openid-configuration'])
}

/** oidc-provider's default `routes.token`. */
const TOKEN_PATH = '/token'

/**
 * Errors from the sign-in pages (an unknown or expired interaction, a session that is gone): a page
 * that says what happened, with the status oidc-provider chose for a client error, and never a
 * stack trace. The details go to the log.
 */
function signInErrors(log: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const status = statusOf(error)
    const description =
      typeof error === 'object' &&
      error !== null &&
      'error_description' in error &&
      typeof error.error_description === 'string'
        ? error.error_description
        : status < 500
          ? 'the request was not valid'
          : 'something went wrong on our side'
    if (status >= 500) log.error('sign-in failed', { error: error instanceof Error ? error : String(error) })
    else log.info('sign-in refused', { status, reason: description })
    if (res.headersSent) return
    res
      .status(status)
      .type('html')
      .set('cache-control', 'no-store')
      .send(renderSignInErrorPage({ status, message: description }))
  }
}

function statusOf(error: unknown): number {
  const candidate =
    typeof error === 'object' && error !== null
      ? 'statusCode' in error
        ? error.statusCode
        : 'status' in error
          ? error.status
          : undefined
      : undefined
  return typeof candidate === 'number' && candidate >= 400 && candidate < 600 ? candidate : 500
}
