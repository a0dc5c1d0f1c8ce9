import { timingSafeEqual } from 'node:crypto'
import type { Logger } from '@ema/server-kit'
import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import type Provider from 'oidc-provider'
import { z } from 'zod'
import type { DirectoryUser, IdpConfig } from '../config.ts'
import type { PolicyStore } from '../policy/policy-store.ts'
import { interactionPath } from '../create-provider.ts'
import { renderLoginPage } from './login-page.ts'

const LoginForm = z.object({
  username: z.string().trim().min(1).max(200),
  password: z.string().min(1).max(200),
})

/**
 * The interaction routes oidc-provider redirects to (`/interaction/:uid`): a login page, and the
 * form post that completes the login. Consent is never asked (see pre-approved-grant.ts).
 * Mounted BEFORE oidc-provider's own callback.
 */
export function signInRoutes(provider: Provider, config: IdpConfig, policy: PolicyStore, log: Logger): Router {
  const router = express.Router()
  const noStore = (_req: Request, res: Response, next: NextFunction) => {
    res.set('cache-control', 'no-store')
    next()
  }

  router.get('/interaction/:uid', noStore, async (req, res, next) => {
    try {
      const interaction = await provider.interactionDetails(req, res)
      if (interaction.prompt.name === 'login') {
        res.type('html').send(
          renderLoginPage({
            action: `${interactionPath(interaction.uid)}/login`,
            clientId: clientIdOf(interaction.params),
            users: config.users,
          }),
        )
        return
      }
      // Every client is pre-approved, so consent is never asked of the user. oidc-provider still
      // prompts for it after every login of a `native` client (its `native_client_prompt` check: the
      // agent CLI), and when `prompt=consent` is sent for `offline_access`; complete it here.
      const grant = new provider.Grant({
        clientId: clientIdOf(interaction.params),
        accountId: interaction.session?.accountId,
      })
      const details = interaction.prompt.details
      if (Array.isArray(details.missingOIDCScope)) grant.addOIDCScope(details.missingOIDCScope.filter(isString))
      if (Array.isArray(details.missingOIDCClaims)) grant.addOIDCClaims(details.missingOIDCClaims.filter(isString))
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId: await grant.save() } },
        { mergeWithLastSubmission: true },
      )
    } catch (error) {
      next(error)
    }
  })

  router.post(
    '/interaction/:uid/login',
    noStore,
    express.urlencoded({ extended: false, limit: '10kb' }),
    async (req, res, next) => {
      try {
        const interaction = await provider.interactionDetails(req, res)
        const form = LoginForm.safeParse(req.body)
        const user = form.success ? authenticate(config.users, form.data.username, form.data.password) : undefined
        if (user === undefined) {
          log.info('sign-in refused', { username: form.success ? form.data.username : undefined })
          res
            .status(401)
            .type('html')
            .send(
              renderLoginPage({
                action: `${interactionPath(interaction.uid)}/login`,
                clientId: clientIdOf(interaction.params),
                users: config.users,
                error: 'Wrong username or password.',
                ...(form.success ? { username: form.data.username } : {}),
              }),
            )
          return
        }
        // The administrator disabled this account (admin console): no new sign-in either.
        if ((await policy.current()).disabledUsers.includes(user.username)) {
          log.info('sign-in refused: account disabled', { sub: user.sub, username: user.username })
          res
            .status(403)
            .type('html')
            .send(
              renderLoginPage({
                action: `${interactionPath(interaction.uid)}/login`,
                clientId: clientIdOf(interaction.params),
                users: config.users,
                error: `The account ${user.username} is disabled by the administrator.`,
                username: user.username,
              }),
            )
          return
        }
        log.info('signed in', { sub: user.sub, username: user.username, client_id: clientIdOf(interaction.params) })
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: user.sub, amr: ['pwd'] } },
          { mergeWithLastSubmission: false },
        )
      } catch (error) {
        next(error)
      }
    },
  )

  return router
}

/** Checks a directory user's password in constant time. Shared with the admin sign-in. */
export function authenticate(
  users: readonly DirectoryUser[],
  username: string,
  password: string,
): DirectoryUser | undefined {
  const user = users.find((candidate) => candidate.username === username)
  if (user === undefined) return undefined
  const given = Buffer.from(password)
  const expected = Buffer.from(user.password)
  return given.length === expected.length && timingSafeEqual(given, expected) ? user : undefined
}

function clientIdOf(params: Record<string, unknown>): string {
  return typeof params.client_id === 'string' ? params.client_id : 'unknown client'
}

function isString(value: unknown): value is string {
  return typeof value === 'string'
}
