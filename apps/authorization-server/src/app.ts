import express from 'express'
import type { RequestListener } from 'node:http'
import {
  InMemoryReplayStore,
  WELL_KNOWN,
  type IssuerKeys,
  type ReplayStore,
  type RevocationStore,
  type SigningKey,
} from '@ema/tokens'
import { createLogger, demoResetRoutes, healthRoutes, type AuditLog, type Logger } from '@ema/server-kit'
import {
  authorizationServerMetadataRoute,
  providerFirst,
  rateLimitTokenEndpoint,
  requirePost,
  type RateLimitWindows,
} from '@ema/provider-kit'
import type { AdapterFactory } from 'oidc-provider'
import type { AuthorizationServerConfig } from './config.ts'
import { createProvider } from './create-provider.ts'
import { INTROSPECTION_PATH, REVOCATION_PATH } from './revocation/revoke-and-introspect.ts'
import { interactionRoutes } from './interactions/interaction-routes.ts'
import { InMemoryPendingSignIns, type PendingSignInStore } from './interactions/pending-sign-ins.ts'
import { signInAtIdp } from './interactions/sign-in-at-idp.ts'

export interface AuthorizationServerDeps {
  now: () => Date
  /** Signs access tokens; published at `/jwks`. */
  signingKey: SigningKey
  /** Trusted IdP issuer → its key set (AS-13, AS-16); `undefined` means not trusted. */
  issuerKeys: IssuerKeys
  /** Every key /jwks publishes, `signingKey` first (rotation). Default: `signingKey` alone. */
  publishedKeys?: readonly SigningKey[]
  /** Remembers redeemed ID-JAGs (AS-23); shared by every instance when on Redis (decision 0040). */
  replayStore: ReplayStore
  /** Revoked access tokens (RFC 7009, decision 0060); shared by every instance when on Redis. Default: in memory. */
  revocationStore?: RevocationStore
  /** The audit trail (server-kit): every redemption (replays included) and on-behalf-of exchange. Absent → none. */
  audit?: AuditLog
  /** Sign-ins at the IdP in progress (decision 0050). Default: in memory. */
  pendingSignIns?: PendingSignInStore
  /** How this server calls the sign-in IdP (its metadata and token endpoint). Default: the global fetch. */
  fetch?: typeof fetch
  /** oidc-provider's storage (client-assertion `jti`s …). Default: oidc-provider's in-process store. */
  adapter?: AdapterFactory
  /** The token endpoint's rate-limit windows. Default: this process's. */
  rateLimitWindows?: RateLimitWindows
  /** `/readyz`: resolves when the store answers. Default: always ready. */
  ready?: () => Promise<void>
  /** `/readyz` answers 503 once this is true (shutdown began). */
  draining?: () => boolean
  log?: Logger
}

/**
 * The MCP authorization server as an express app, with no side effects (tests mount it on an
 * ephemeral port). oidc-provider serves `/auth`, `/token`, `/revoke`, `/introspect` (decision 0060), `/jwks` and `/.well-known/openid-configuration`;
 * this app adds `/.well-known/oauth-authorization-server` (RFC 8414) with the same content, and the
 * authorization code flow's interactions (sign-in at the enterprise IdP, consent; decision 0050).
 */
export function createAuthorizationServerApp(
  config: AuthorizationServerConfig,
  deps: AuthorizationServerDeps,
): RequestListener {
  const log = deps.log ?? createLogger({ name: 'authorization-server', level: config.logLevel })
  const provider = createProvider(config, { ...deps, log })
  provider.use(requirePost(TOKEN_PATH, log)) // AS-07
  // SEC-07: per-client rate limits at the token, revocation and introspection endpoints, before
  // oidc-provider does any work of its own (decisions 0010, 0081).
  provider.use(
    rateLimitTokenEndpoint({
      paths: [TOKEN_PATH, REVOCATION_PATH, INTROSPECTION_PATH], // SEC-07, SEC-09 (decision 0081)
      perMinute: config.tokenRateLimitPerMinute,
      now: deps.now,
      log,
      windows: deps.rateLimitWindows,
    }),
  )
  const providerHandler = provider.callback()

  const app = express()
  app.disable('x-powered-by')
  // /healthz (alive) and /readyz (its store answers), before anything that could need the store.
  app.use(healthRoutes({ ready: deps.ready, draining: deps.draining, log }))
  // Demo only (DEMO_RESET=true, the shared DEMO_RESET_SECRET): forget the redeemed jtis. Off → 404.
  app.use(demoResetRoutes({ config: config.demoReset, reset: () => resetReplayStore(deps.replayStore), log }))
  app.get(WELL_KNOWN.OAUTH_AUTHORIZATION_SERVER, authorizationServerMetadataRoute(providerHandler)) // AS-01
  app.use(
    interactionRoutes(provider, {
      issuer: config.issuer,
      signInIdp: config.signInIdp,
      trustedIdps: config.trustedIdps,
      signIn: signInAtIdp({
        signInIdp: config.signInIdp,
        issuerKeys: deps.issuerKeys,
        fetch: deps.fetch ?? fetch,
        now: deps.now,
        clockSkewSeconds: config.clockSkewSeconds,
        log,
      }),
      pendingSignIns: deps.pendingSignIns ?? new InMemoryPendingSignIns(),
      cookieKeys: config.cookieKeys,
      log,
    }),
  )
  app.use(providerHandler)
  // Decision 0023: the token endpoint, the JWKS and the discovery document go to oidc-provider with
  // nothing in front of it.
  return providerFirst(providerHandler, app, [
    TOKEN_PATH,
    REVOCATION_PATH, // decision 0060
    INTROSPECTION_PATH,
    '/jwks',
    '/.well-known/openid-configuration',
  ])
}

/** oidc-provider's default `routes.token`. */
const TOKEN_PATH = '/token'

/**
 * The demo reset of the replay store: an in-memory one forgets every `jti`; a shared one (Redis) is left
 * alone, and the answer says so: its keys are other instances' too, and expire with their ID-JAGs.
 * Sign-in sessions, consents and oidc-provider's own records are kept (docs/walkthrough.md, "Reset").
 */
function resetReplayStore(replayStore: ReplayStore): string[] {
  if (replayStore instanceof InMemoryReplayStore) {
    replayStore.clear()
    return ['authorization server: every redeemed ID-JAG jti forgotten (in-memory replay store)']
  }
  return [
    'authorization server: the replay store is shared (Redis), so it was NOT cleared; its jtis expire with their ID-JAGs',
  ]
}
