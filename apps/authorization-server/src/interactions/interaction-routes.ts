import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import Provider, { errors, type InteractionResults } from 'oidc-provider'
import { TemporarilyUnavailableError, toOAuthError } from '@ema/tokens'
import type { Logger } from '@ema/server-kit'
import type { SignInIdp, TrustedIdp } from '../config.ts'
import { findLocalSubject, resolveLocalSubject } from '../grants/resolve-local-subject.ts'
import { consentCsrfToken, isConsentCsrfToken } from './consent-csrf.ts'
import { renderConsentPage, renderInteractionErrorPage } from './consent-page.ts'
import type { PendingSignInStore } from './pending-sign-ins.ts'
import type { SignInAtIdp, SignInResponse } from './sign-in-at-idp.ts'

export interface InteractionRoutesDeps {
  issuer: string
  signInIdp: SignInIdp
  trustedIdps: readonly TrustedIdp[]
  signIn: SignInAtIdp
  pendingSignIns: PendingSignInStore
  /** The cookie keys; the consent form's CSRF token is derived from them. */
  cookieKeys: readonly string[]
  log: Logger
}

/** Where oidc-provider sends the browser when it needs the user (`interactions.url`). */
export function interactionPath(uid: string): string {
  return `/interaction/${uid}`
}

/** This server's redirect URI at the sign-in IdP, relative to the issuer (config.signInRedirectUri). */
const CALLBACK_PATH = '/interaction/callback'

/**
 * The interactions of the authorization code flow (decision 0050), mounted BEFORE oidc-provider:
 *
 * 1. `GET /interaction/:uid`, prompt `login`: the user is sent to the enterprise IdP (this server is
 *    its OIDC relying party: code + PKCE + state + nonce).
 * 2. `GET /interaction/callback`: the IdP's response; recorded under its `state`, then the browser is
 *    sent to its own interaction (3). Nothing is redeemed until the browser proves it holds the
 *    interaction (its cookie), so a response replayed into another browser does nothing.
 * 3. `GET /interaction/:uid/signed-in`: the code is redeemed, the ID token verified, the user mapped to
 *    the local subject (AS-19) and the login finished.
 * 4. `GET /interaction/:uid`, prompt `consent`: the consent screen.
 * 5. `POST /interaction/:uid/consent`: Approve (a Grant for the requested MCP server scopes) or Deny
 *    (`access_denied` to the client, with `state` and `iss`), CSRF-checked.
 *
 * A problem that cannot be reported to the client (an unknown or expired interaction, a forged post)
 * is an HTML page with the status; one that can is finished into the authorization response.
 */
export function interactionRoutes(provider: Provider, deps: InteractionRoutesDeps): Router {
  const router = express.Router()
  const log = deps.log.child({ component: 'interactions' })
  const issuerOrigin = new URL(deps.issuer).origin
  const noStore = (_req: Request, res: Response, next: NextFunction) => {
    res.set('cache-control', 'no-store')
    next()
  }

  router.get(CALLBACK_PATH, noStore, async (req, res) => {
    try {
      const response = readSignInResponse(req)
      if (response === undefined)
        return page(res, 400, "the enterprise IdP's response is malformed (a parameter is missing or repeated)")
      const { state, ...rest } = response
      const uid = await deps.pendingSignIns.returned(state, rest)
      if (uid === undefined) return page(res, 400, 'this sign-in is unknown or has expired')
      res.redirect(303, `${interactionPath(uid)}/signed-in`)
    } catch (error) {
      failed(res, error)
    }
  })

  router.get('/interaction/:uid', noStore, async (req, res) => {
    try {
      const interaction = await currentInteraction(req, res)
      if (interaction === undefined) return
      if (interaction.prompt.name === 'login') {
        let started
        try {
          started = await deps.signIn.start({ forceLogin: interaction.prompt.reasons.includes('login_prompt') })
        } catch (error) {
          return finishWithError(req, res, error)
        }
        try {
          await deps.pendingSignIns.begin({
            uid: interaction.uid,
            request: started.request,
            expiresAt: (interaction.exp ?? 0) * 1000,
          })
        } catch (cause) {
          return finishWithError(
            req,
            res,
            new TemporarilyUnavailableError('too many sign-ins are in progress; try again shortly', { cause }),
          )
        }
        log.info('sending the user to the enterprise IdP to sign in', {
          idp: deps.signInIdp.issuer,
          client_id: interaction.params.client_id,
        })
        return res.redirect(303, started.authorizationUrl)
      }
      if (interaction.prompt.name === 'consent') {
        const clientId = String(interaction.params.client_id)
        const client = await provider.Client.find(clientId)
        const accountId = interaction.session?.accountId
        const user = accountId === undefined ? undefined : findLocalSubject(accountId, deps.trustedIdps)
        res.type('html').send(
          renderConsentPage({
            action: `${interactionPath(interaction.uid)}/consent`,
            csrfToken: consentCsrfToken(deps.cookieKeys, interaction.uid),
            clientName: client?.clientName ?? clientId,
            clientId,
            resources: await shownResources(interaction.prompt.details, interaction.grantId),
            user: { idpSub: user?.idp_sub ?? accountId ?? 'unknown', idp: user?.idp ?? deps.signInIdp.issuer },
          }),
        )
        return
      }
      page(res, 400, `this server has no "${interaction.prompt.name}" interaction`)
    } catch (error) {
      failed(res, error)
    }
  })

  router.get('/interaction/:uid/signed-in', noStore, async (req, res) => {
    try {
      const interaction = await currentInteraction(req, res)
      if (interaction === undefined) return
      const pending = await deps.pendingSignIns.take(interaction.uid)
      if (pending?.response === undefined)
        return page(res, 400, 'no sign-in at the enterprise IdP is waiting for this authorization')
      let claims
      try {
        claims = await deps.signIn.finish(pending.request, pending.response)
      } catch (error) {
        return finishWithError(req, res, error)
      }
      const idp = deps.trustedIdps.find((candidate) => candidate.issuer === deps.signInIdp.issuer)
      if (idp === undefined) throw new Error('the sign-in IdP is not a trusted IdP') // loadConfig guarantees it is
      const subject = resolveLocalSubject(claims, idp) // AS-19: the same subject the jwt-bearer grant resolves
      log.info('signed in at the enterprise IdP', {
        idp: subject.idp,
        local_sub: subject.sub,
        client_id: interaction.params.client_id,
      })
      const login: InteractionResults['login'] = {
        accountId: subject.sub,
        ...(claims.amr === undefined ? {} : { amr: claims.amr }),
        ...(claims.acr === undefined ? {} : { acr: claims.acr }),
        ...(claims.auth_time === undefined ? {} : { ts: claims.auth_time }),
      }
      await provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false })
    } catch (error) {
      failed(res, error)
    }
  })

  router.post(
    '/interaction/:uid/consent',
    noStore,
    express.urlencoded({ extended: false, limit: '10kb' }),
    async (req, res) => {
      try {
        // SEC-08: a form posted from another site is refused before anything else.
        const origin = req.get('origin')
        const fetchSite = req.get('sec-fetch-site')
        if (
          (origin !== undefined && origin !== issuerOrigin) ||
          (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none')
        ) {
          log.warn('refused a cross-site consent post', { origin, sec_fetch_site: fetchSite })
          return page(res, 403, 'the consent form was posted from another site')
        }
        const interaction = await currentInteraction(req, res)
        if (interaction === undefined) return
        if (interaction.prompt.name !== 'consent')
          return page(res, 400, 'this authorization is not waiting for consent')
        const body: Record<string, unknown> =
          typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {}
        if (!isConsentCsrfToken(deps.cookieKeys, interaction.uid, body.csrf)) {
          log.warn('refused a consent post without a valid CSRF token', { client_id: interaction.params.client_id })
          return page(res, 403, "the consent form's CSRF token is missing or invalid; reload the consent page")
        }
        if (body.decision === 'deny') {
          log.info('the user denied consent', {
            client_id: interaction.params.client_id,
            local_sub: interaction.session?.accountId,
          })
          return await provider.interactionFinished(
            req,
            res,
            { error: 'access_denied', error_description: 'the user denied the authorization request' },
            { mergeWithLastSubmission: false },
          )
        }
        if (body.decision !== 'approve') return page(res, 400, 'the consent form must be answered with Approve or Deny')
        const accountId = interaction.session?.accountId
        const clientId = String(interaction.params.client_id)
        const grant =
          (interaction.grantId === undefined ? undefined : await provider.Grant.find(interaction.grantId)) ??
          new provider.Grant({ accountId, clientId })
        const details = interaction.prompt.details
        if (Array.isArray(details.missingOIDCScope)) grant.addOIDCScope(details.missingOIDCScope.filter(isString))
        if (Array.isArray(details.missingOIDCClaims)) grant.addOIDCClaims(details.missingOIDCClaims.filter(isString))
        for (const { resource, scopes } of requestedResources(details))
          grant.addResourceScope(resource, scopes.join(' '))
        const grantId = await grant.save()
        log.info('the user approved consent', {
          client_id: clientId,
          local_sub: accountId,
          resources: requestedResources(details),
        })
        await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
      } catch (error) {
        failed(res, error)
      }
    },
  )

  // A body the form parser refuses (too large, malformed) is a page with its status, never express's
  // default error page (which shows a stack trace outside production).
  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status =
      typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500
    if (res.headersSent) return next(error)
    if (status >= 500) return failed(res, error)
    log.info('refused an interaction request', { status, cause: error instanceof Error ? error : undefined })
    page(res, status, status === 413 ? 'the form is too large' : 'the request could not be read')
  })

  /**
   * What the consent screen lists: the scopes still to approve or, when oidc-provider asks again for
   * what the user already approved (it always asks for `native` clients), the approved ones.
   */
  async function shownResources(
    details: Record<string, unknown>,
    grantId: string | undefined,
  ): Promise<Array<{ resource: string; scopes: string[] }>> {
    const missing = requestedResources(details)
    if (missing.length > 0 || grantId === undefined) return missing
    const grant = await provider.Grant.find(grantId)
    return Object.entries(grant?.resources ?? {}).map(([resource, scope]) => ({
      resource,
      scopes: String(scope)
        .split(' ')
        .filter((token) => token !== ''),
    }))
  }

  /** The interaction this browser holds (its cookie), which must be the one in the path. */
  async function currentInteraction(req: Request, res: Response) {
    let interaction
    try {
      interaction = await provider.interactionDetails(req, res)
    } catch (error) {
      if (error instanceof errors.SessionNotFound) {
        page(res, 400, 'this authorization has expired or was started in another browser')
        return undefined
      }
      throw error
    }
    if (interaction.uid !== req.params.uid) {
      page(res, 400, 'this authorization was started in another tab or browser')
      return undefined
    }
    return interaction
  }

  /** Ends the authorization request with an OAuth error sent to the client's redirect URI (with `state` and `iss`). */
  async function finishWithError(req: Request, res: Response, error: unknown): Promise<void> {
    const oauth = toOAuthError(error)
    const fields = { error: oauth.error, cause: oauth.cause instanceof Error ? oauth.cause : undefined }
    if (oauth.status >= 500) log.error(`sign-in failed: ${oauth.description}`, fields)
    else log.info(`sign-in refused: ${oauth.description}`, fields)
    await provider.interactionFinished(
      req,
      res,
      { error: oauth.error, error_description: oauth.description },
      { mergeWithLastSubmission: false },
    )
  }

  function failed(res: Response, error: unknown): void {
    log.error('interaction failed', { cause: error instanceof Error ? error : undefined })
    if (!res.headersSent) page(res, 500, 'an unexpected error occurred')
  }

  return router
}

function page(res: Response, status: number, message: string): void {
  res.status(status).type('html').send(renderInteractionErrorPage({ status, message }))
}

/** The IdP's authorization response (RFC 6749 §4.1.2): each parameter at most once, `state` required. */
function readSignInResponse(req: Request): (SignInResponse & { state: string }) | undefined {
  const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '')
  const one = (name: string): string | undefined | null => {
    const values = query.getAll(name)
    if (values.length > 1) return null
    return values[0]
  }
  const fields = {
    state: one('state'),
    code: one('code'),
    error: one('error'),
    error_description: one('error_description'),
    iss: one('iss'),
  }
  if (
    Object.values(fields).some((value) => value === null) ||
    fields.state === undefined ||
    fields.state === '' ||
    fields.state === null
  )
    return undefined
  const response: SignInResponse & { state: string } = { state: fields.state }
  if (typeof fields.code === 'string') response.code = fields.code
  if (typeof fields.error === 'string') response.error = fields.error
  if (typeof fields.error_description === 'string') response.error_description = fields.error_description
  if (typeof fields.iss === 'string') response.iss = fields.iss
  return response
}

/** `missingResourceScopes` of a consent prompt: the MCP servers and the scopes asked for each. */
function requestedResources(details: Record<string, unknown>): Array<{ resource: string; scopes: string[] }> {
  const missing = details.missingResourceScopes
  if (typeof missing !== 'object' || missing === null) return []
  return Object.entries(missing as Record<string, unknown>).map(([resource, scopes]) => ({
    resource,
    scopes: Array.isArray(scopes) ? scopes.filter(isString) : [],
  }))
}

function isString(value: unknown): value is string {
  return typeof value === 'string'
}
