import type { AuditEvent, AuditLog, Logger } from '@ema/server-kit'
import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import { z } from 'zod'
import { StoreUnavailableError, TemporarilyUnavailableError } from '@ema/tokens'
import type { DirectoryUser, IdpConfig } from '../config.ts'
import { authenticate } from '../interactions/sign-in.ts'
import {
  ANY,
  groupsOf,
  parsePolicyRule,
  PolicyValidationError,
  type EnterprisePolicy,
  type PolicyIssue,
  type PolicyRule,
} from '../policy/enterprise-policy.ts'
import type { PolicyStore } from '../policy/policy-store.ts'
import {
  renderAdminLoginPage,
  renderAuditPage,
  renderDashboard,
  renderErrorPage,
  renderRuleForm,
  ruleFormValues,
  type AuditFilter,
  type PageContext,
  type RuleFormValues,
} from './admin-pages.ts'
import {
  ADMIN_LOGIN_COOKIE,
  cookie,
  createAdminSessions,
  randomToken,
  readCookie,
  sameToken,
  type AdminSession,
} from './admin-sessions.ts'

export interface AdminRoutesDeps {
  config: IdpConfig
  policy: PolicyStore
  audit: AuditLog
  log: Logger
  now: () => Date
}

/**
 * The enterprise administrator's seat at `<issuer>/admin` (IDP-13, SEC-13):
 *
 * - HTML console (server-rendered): sign-in as a directory user marked `administrator`, then a
 *   session cookie (HttpOnly, SameSite=Strict, Path=/admin). Every form that changes something
 *   carries the session's synchronizer token (`csrf`); a post without it is 403.
 * - JSON API under `/admin/api`, for scripts: HTTP Basic with an administrator's username and
 *   password, or the console's session cookie plus the `x-csrf-token` header. A body must be
 *   `application/json` (a cross-site form cannot send that without a CORS preflight, which is never answered).
 *
 * A user who is not an administrator (alice) gets 403 and nothing else. Changes go through the
 * policy store: validated, written to the state file, in force for the next token exchange.
 */
export function adminRoutes(deps: AdminRoutesDeps): Router {
  const { config, policy, audit, log } = deps
  const secure = new URL(config.issuer).protocol === 'https:'
  const sessions = createAdminSessions({ now: deps.now, secure })
  const router = express.Router()
  const form = express.urlencoded({ extended: false, limit: '20kb', parameterLimit: 50 })
  const json = express.json({ limit: '64kb', strict: true, type: 'application/json' })
  const org = config.organizationName

  router.use((_req, res, next) => {
    res.set('cache-control', 'no-store')
    res.set('x-frame-options', 'DENY') // no clickjacking of the console's buttons
    res.set(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    res.set('referrer-policy', 'no-referrer')
    next()
  })

  // ---------------------------------------------------------------- JSON API (scripts)

  const api = express.Router()
  api.use((req, res, next) => {
    const admin = apiAdministrator(req, res)
    if (admin === undefined) return
    res.locals.admin = admin
    next()
  })
  api.use((req, res, next) => {
    if (
      req.method === 'GET' ||
      req.method === 'HEAD' ||
      req.method === 'DELETE' ||
      (req.method === 'POST' && req.headers['content-length'] === '0')
    )
      return next()
    if (!req.is('application/json'))
      return apiError(res, 415, 'unsupported_media_type', 'send the body as application/json')
    next()
  })
  api.use(json)

  api.get('/policy', async (_req, res) => {
    res.json(await policy.current())
  })
  api.put('/policy', async (req, res) => {
    await apply(res, () => policy.replace(req.body), 'replaced the policy')
  })
  api.post('/rules', async (req, res) => {
    await apply(
      res,
      () =>
        policy.update((draft) => ({
          ...draft,
          rules: [...draft.rules, parsePolicyRule(req.body, policy.world, draft.rules)],
        })),
      'added a rule',
      201,
    )
  })
  api.put('/rules/:id', async (req, res) => {
    const id = String(req.params.id)
    if (!(await policy.current()).rules.some((rule) => rule.id === id))
      return apiError(res, 404, 'not_found', `there is no rule "${id}"`)
    const body: unknown = req.body
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return apiError(res, 400, 'invalid_request', 'the body must be a rule object')
    if ('id' in body && body.id !== id)
      return apiError(
        res,
        400,
        'invalid_request',
        `the body's id must be "${id}" (a rule keeps its id; delete it and add another to rename)`,
      )
    await apply(
      res,
      () =>
        policy.update((draft) =>
          replaceRule(
            draft,
            id,
            parsePolicyRule(
              { ...body, id },
              policy.world,
              draft.rules.filter((rule) => rule.id !== id),
            ),
          ),
        ),
      `changed rule ${id}`,
    )
  })
  api.delete('/rules/:id', async (req, res) => {
    const id = String(req.params.id)
    if (!(await policy.current()).rules.some((rule) => rule.id === id))
      return apiError(res, 404, 'not_found', `there is no rule "${id}"`)
    await apply(
      res,
      () => policy.update((draft) => ({ ...draft, rules: draft.rules.filter((rule) => rule.id !== id) })),
      `deleted rule ${id}`,
    )
  })
  api.get('/directory', async (_req, res) => {
    res.json(directoryView(config, await policy.current()))
  })
  api.put('/users/:username', async (req, res) => {
    const username = String(req.params.username)
    const body = z
      .object({ disabled: z.boolean({ error: 'disabled must be true or false' }) })
      .strict()
      .safeParse(req.body)
    if (!body.success)
      return apiError(res, 400, 'invalid_request', body.error.issues[0]?.message ?? 'expected {"disabled": true|false}')
    if (!config.users.some((user) => user.username === username))
      return apiError(res, 404, 'not_found', `there is no user "${username}"`)
    await apply(
      res,
      () => policy.update((draft) => setUserDisabled(draft, username, body.data.disabled)),
      `${body.data.disabled ? 'disabled' : 'enabled'} user ${username}`,
    )
  })
  api.put('/client-access', async (req, res) => {
    const body = z
      .object({
        client: z.string().min(1),
        resource: z.string().min(1),
        enabled: z.boolean({ error: 'enabled must be true or false' }),
      })
      .strict()
      .safeParse(req.body)
    if (!body.success)
      return apiError(
        res,
        400,
        'invalid_request',
        `${body.error.issues[0]?.path.join('.') || 'body'}: ${body.error.issues[0]?.message ?? 'expected {"client", "resource", "enabled"}'}`,
      )
    await apply(
      res,
      () => policy.update((draft) => setClientAccess(draft, body.data.client, body.data.resource, body.data.enabled)),
      `switched ${body.data.client} ${body.data.enabled ? 'on' : 'off'} for ${body.data.resource}`,
    )
  })
  api.post('/reset', async (_req, res) => {
    await apply(res, () => policy.reset(), 'reset the policy to the demo policy')
  })
  api.get('/audit', async (req, res) => {
    res.json({ events: filterAudit(await audit.recent(), readFilter(req)) })
  })
  api.get('/revocation-window', (_req, res) => {
    res.json(revocationWindow(config))
  })
  api.use((_req, res) => apiError(res, 404, 'not_found', 'no such admin API endpoint'))
  api.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // Decision 0080: the shared store (Redis) cannot answer: 503, nothing read or changed, never a 500.
    if (isStoreUnavailable(error)) return apiError(res, 503, 'temporarily_unavailable', storeUnavailable(error))
    // express.json's own refusals (malformed JSON, too large) carry a 4xx status; anything else is ours.
    const status =
      typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number'
        ? error.status
        : 500
    if (status >= 500) log.error('admin API failed', { error: error instanceof Error ? error : String(error) })
    apiError(
      res,
      status >= 500 ? 500 : status,
      status >= 500 ? 'server_error' : 'invalid_request',
      status === 413
        ? 'the body is too large'
        : status >= 500
          ? 'the change could not be made'
          : 'the body is not valid JSON',
    )
  })
  router.use('/api', api)

  /** The administrator behind an API request, or undefined once a refusal was sent. */
  function apiAdministrator(req: Request, res: Response): string | undefined {
    const authorization = req.headers.authorization
    if (authorization !== undefined) {
      const user = basicUser(authorization)
      if (user === undefined) {
        res.set('www-authenticate', 'Basic realm="Acme SSO admin API", charset="UTF-8"')
        apiError(res, 401, 'unauthorized', 'wrong username or password, or not HTTP Basic')
        return undefined
      }
      if (user.administrator !== true) return refuseNonAdmin(res, user.username)
      return user.username
    }
    const session = sessions.find(req)
    if (session === undefined) {
      res.set('www-authenticate', 'Basic realm="Acme SSO admin API", charset="UTF-8"')
      apiError(
        res,
        401,
        'unauthorized',
        "sign in: HTTP Basic with an administrator's username and password, or the console's session cookie",
      )
      return undefined
    }
    // CSRF: a browser sends the cookie on its own; a changing request must also prove it read a console page.
    if (req.method !== 'GET' && req.method !== 'HEAD' && !sameToken(header(req, 'x-csrf-token'), session.csrfToken)) {
      apiError(
        res,
        403,
        'invalid_csrf_token',
        'a request authenticated by the session cookie must carry the x-csrf-token header of that session',
      )
      return undefined
    }
    return session.username
  }

  function refuseNonAdmin(res: Response, username: string): undefined {
    log.info('admin: refused a user who is not an administrator', { username })
    apiError(res, 403, 'access_denied', `${username} is not an administrator of ${org} SSO`)
    return undefined
  }

  function basicUser(authorization: string): DirectoryUser | undefined {
    const match = /^Basic ([A-Za-z0-9+/=]{1,512})$/i.exec(authorization.trim())
    if (match === null) return undefined
    const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon <= 0) return undefined
    return authenticate(config.users, decoded.slice(0, colon), decoded.slice(colon + 1))
  }

  async function apply(
    res: Response,
    change: () => Promise<EnterprisePolicy>,
    what: string,
    status = 200,
  ): Promise<void> {
    try {
      const next = await change()
      log.info(`admin: ${what}`, { admin: String(res.locals.admin) })
      res.status(status).json(next)
    } catch (error) {
      if (error instanceof PolicyValidationError) {
        res.status(400).json({
          error: 'invalid_request',
          error_description: `the policy was not changed: ${error.issues.map((issue) => `${issue.path || 'body'}: ${issue.message}`).join('; ')}`,
          issues: error.issues,
        })
        return
      }
      if (isStoreUnavailable(error)) {
        log.warn(`admin: not saved (${what}): the policy store cannot be reached`, { admin: String(res.locals.admin) })
        return apiError(res, 503, 'temporarily_unavailable', `${storeUnavailable(error)}; the change was not made`)
      }
      log.error('admin: a change could not be saved', { error: error instanceof Error ? error : String(error) })
      apiError(res, 500, 'server_error', 'the change could not be saved; the policy in force is unchanged')
    }
  }

  // ---------------------------------------------------------------- HTML console

  router.get('/login', (req, res) => {
    if (sessions.find(req) !== undefined) return res.redirect(303, '/admin')
    const token = randomToken()
    res.append('set-cookie', cookie(ADMIN_LOGIN_COOKIE, token, { secure, maxAgeSeconds: 600 }))
    res.type('html').send(renderAdminLoginPage({ organizationName: org, csrfToken: token }))
  })

  router.post('/login', form, (req, res) => {
    const body = z
      .object({
        username: z.string().trim().min(1).max(200),
        password: z.string().min(1).max(200),
        csrf: z.string().max(200),
      })
      .safeParse(req.body)
    const expected = readCookie(req, ADMIN_LOGIN_COOKIE)
    const retry = (status: number, error: string, username?: string) => {
      const token = randomToken()
      res.append('set-cookie', cookie(ADMIN_LOGIN_COOKIE, token, { secure, maxAgeSeconds: 600 }))
      res
        .status(status)
        .type('html')
        .send(
          renderAdminLoginPage({
            organizationName: org,
            csrfToken: token,
            error,
            ...(username === undefined ? {} : { username }),
          }),
        )
    }
    // Login CSRF: the form must come from our own page (double submit of the login cookie).
    if (!body.success || !sameToken(body.data.csrf, expected))
      return retry(403, 'The sign-in form expired or did not come from this page; try again.')
    const user = authenticate(config.users, body.data.username, body.data.password)
    if (user === undefined) {
      log.info('admin: sign-in refused', { username: body.data.username })
      return retry(401, 'Wrong username or password.', body.data.username)
    }
    if (user.administrator !== true) {
      log.info('admin: refused a user who is not an administrator', { username: user.username })
      res
        .status(403)
        .type('html')
        .send(
          renderErrorPage({
            organizationName: org,
            status: 403,
            message: `${user.username} is not an administrator of ${org} SSO; the admin console is for administrators only.`,
          }),
        )
      return
    }
    res.append('set-cookie', cookie(ADMIN_LOGIN_COOKIE, '', { secure, maxAgeSeconds: 0 }))
    sessions.start(res, user.username)
    log.info('admin: signed in', { username: user.username })
    res.redirect(303, '/admin')
  })

  // Every other page needs an administrator's session; a changing form needs its synchronizer token.
  router.use((req, res, next) => {
    const session = sessions.find(req)
    if (session === undefined) {
      if (req.method === 'GET') return res.redirect(303, '/admin/login')
      return res
        .status(401)
        .type('html')
        .send(
          renderErrorPage({
            organizationName: org,
            status: 401,
            message: 'Your admin session has ended; sign in again.',
          }),
        )
    }
    res.locals.session = session
    res.locals.admin = session.username
    next()
  })
  router.post(/.*/, form, (req, res, next) => {
    const session = sessionOf(res)
    const token =
      typeof req.body === 'object' && req.body !== null && typeof req.body.csrf === 'string' ? req.body.csrf : undefined
    if (!sameToken(token, session.csrfToken)) {
      log.warn("admin: refused a form post without the session's CSRF token", {
        username: session.username,
        path: req.path,
      })
      return htmlError(
        res,
        403,
        'This form did not come from the admin console (missing or wrong CSRF token). Reload the page and try again.',
      )
    }
    next()
  })

  router.get('/', async (_req, res) => {
    const [current, recent] = await Promise.all([policy.current(), audit.recent()])
    const session = sessionOf(res)
    const notice = session.notice
    session.notice = undefined
    res.type('html').send(
      renderDashboard({
        config,
        policy: current,
        context: contextOf(res),
        recent,
        ...(notice === undefined ? {} : { notice }),
      }),
    )
  })
  router.post('/logout', (req, res) => {
    sessions.end(req, res)
    res.redirect(303, '/admin/login')
  })
  router.get('/rules/new', (_req, res) => {
    res
      .type('html')
      .send(renderRuleForm({ config, context: contextOf(res), values: ruleFormValues(undefined), editing: false }))
  })
  router.post('/rules', async (req, res) => {
    const values = readRuleForm(req.body)
    await htmlChange(
      res,
      () =>
        policy.update((draft) => ({
          ...draft,
          rules: [...draft.rules, parsePolicyRule(ruleFromForm(values), policy.world, draft.rules)],
        })),
      `added rule ${values.id}`,
      (issues) => {
        res
          .status(400)
          .type('html')
          .send(renderRuleForm({ config, context: contextOf(res), values, editing: false, issues }))
      },
    )
  })
  router.get('/rules/:id', async (req, res) => {
    const rule = (await policy.current()).rules.find((candidate) => candidate.id === req.params.id)
    if (rule === undefined) return htmlError(res, 404, `There is no rule "${String(req.params.id)}".`)
    res
      .type('html')
      .send(renderRuleForm({ config, context: contextOf(res), values: ruleFormValues(rule), editing: true }))
  })
  router.post('/rules/:id', async (req, res) => {
    const id = String(req.params.id)
    if (!(await policy.current()).rules.some((rule) => rule.id === id))
      return htmlError(res, 404, `There is no rule "${id}".`)
    const values = { ...readRuleForm(req.body), id }
    await htmlChange(
      res,
      () =>
        policy.update((draft) =>
          replaceRule(
            draft,
            id,
            parsePolicyRule(
              ruleFromForm(values),
              policy.world,
              draft.rules.filter((rule) => rule.id !== id),
            ),
          ),
        ),
      `changed rule ${id}`,
      (issues) => {
        res
          .status(400)
          .type('html')
          .send(renderRuleForm({ config, context: contextOf(res), values, editing: true, issues }))
      },
    )
  })
  router.post('/rules/:id/delete', async (req, res) => {
    const id = String(req.params.id)
    if (!(await policy.current()).rules.some((rule) => rule.id === id))
      return htmlError(res, 404, `There is no rule "${id}".`)
    await htmlChange(
      res,
      () => policy.update((draft) => ({ ...draft, rules: draft.rules.filter((rule) => rule.id !== id) })),
      `deleted rule ${id}`,
    )
  })
  router.post('/users/:username', async (req, res) => {
    const username = String(req.params.username)
    if (!config.users.some((user) => user.username === username))
      return htmlError(res, 404, `There is no user "${username}".`)
    const disabled = formField(req.body, 'disabled') === 'true'
    await htmlChange(
      res,
      () => policy.update((draft) => setUserDisabled(draft, username, disabled)),
      `${disabled ? 'disabled' : 'enabled'} user ${username}`,
    )
  })
  router.post('/client-access', async (req, res) => {
    const client = formField(req.body, 'client')
    const resource = formField(req.body, 'resource')
    const enabled = formField(req.body, 'enabled') === 'true'
    await htmlChange(
      res,
      () => policy.update((draft) => setClientAccess(draft, client, resource, enabled)),
      `switched ${client} ${enabled ? 'on' : 'off'} for ${resource}`,
    )
  })
  router.post('/reset', async (_req, res) => {
    await htmlChange(res, () => policy.reset(), 'reset to the demo policy')
  })
  router.get('/audit', async (req, res) => {
    const filter = readFilter(req)
    const events = filterAudit(await audit.recent(), filter)
    res.type('html').send(renderAuditPage({ events, filter, context: contextOf(res), config }))
  })
  router.use((_req, res) => htmlError(res, 404, 'There is no such page in the admin console.'))
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // Decision 0080: the shared store (Redis) cannot answer: a 503 page that says so, never a 500.
    if (isStoreUnavailable(error)) return htmlError(res, 503, `${capitalize(storeUnavailable(error))}.`)
    const status =
      typeof error === 'object' &&
      error !== null &&
      'status' in error &&
      typeof error.status === 'number' &&
      error.status < 500
        ? error.status
        : 500
    if (status >= 500) log.error('admin console failed', { error: error instanceof Error ? error : String(error) })
    htmlError(
      res,
      status,
      status === 413
        ? 'The form is too large.'
        : status < 500
          ? 'The form could not be read.'
          : 'Something went wrong on our side; the policy in force is unchanged.',
    )
  })

  async function htmlChange(
    res: Response,
    change: () => Promise<EnterprisePolicy>,
    what: string,
    onInvalid?: (issues: readonly PolicyIssue[]) => void,
  ): Promise<void> {
    try {
      await change()
      log.info(`admin: ${what}`, { admin: String(res.locals.admin) })
      sessionOf(res).notice = `Saved: ${what}. It applies to the next token exchange.`
      res.redirect(303, '/admin')
    } catch (error) {
      if (error instanceof PolicyValidationError) {
        if (onInvalid !== undefined) return onInvalid(error.issues)
        return htmlError(
          res,
          400,
          `Not saved: ${error.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
        )
      }
      if (isStoreUnavailable(error)) {
        log.warn(`admin: not saved (${what}): the policy store cannot be reached`, { admin: String(res.locals.admin) })
        return htmlError(res, 503, `Not saved: ${storeUnavailable(error)}. Try again in a moment.`)
      }
      log.error('admin: a change could not be saved', { error: error instanceof Error ? error : String(error) })
      htmlError(res, 500, 'The change could not be saved; the policy in force is unchanged.')
    }
  }

  function htmlError(res: Response, status: number, message: string): void {
    const session = res.locals.session as AdminSession | undefined
    res
      .status(status)
      .type('html')
      .send(
        renderErrorPage({
          organizationName: org,
          status,
          message,
          ...(session === undefined ? {} : { username: session.username, csrfToken: session.csrfToken }),
        }),
      )
  }

  function contextOf(res: Response): PageContext {
    const session = sessionOf(res)
    return { organizationName: org, username: session.username, csrfToken: session.csrfToken }
  }

  return router
}

/** A shared store (Redis, decision 0080) that cannot answer: `StoreUnavailableError` and its kin, 503 `temporarily_unavailable`. */
function isStoreUnavailable(error: unknown): error is TemporarilyUnavailableError {
  return error instanceof TemporarilyUnavailableError
}

/** What the administrator is told when the shared store cannot answer (never the cause). */
function storeUnavailable(error: TemporarilyUnavailableError): string {
  return error instanceof StoreUnavailableError
    ? 'the shared store (Redis) that keeps the policy and the audit trail cannot be reached'
    : error.description
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function sessionOf(res: Response): AdminSession {
  return res.locals.session as AdminSession
}

function apiError(res: Response, status: number, error: string, description: string): void {
  res.status(status).json({ error, error_description: description })
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name]
  return typeof value === 'string' ? value : undefined
}

function formField(body: unknown, name: string): string {
  if (typeof body !== 'object' || body === null) return ''
  const value: unknown = (body as Record<string, unknown>)[name]
  return typeof value === 'string' ? value.trim() : ''
}

function readRuleForm(body: unknown): RuleFormValues {
  return {
    id: formField(body, 'id'),
    description: formField(body, 'description'),
    effect: formField(body, 'effect'),
    subject: formField(body, 'subject'),
    client: formField(body, 'client'),
    target: formField(body, 'target'),
    scopes: formField(body, 'scopes'),
    sensitiveScopes: formField(body, 'sensitive_scopes'),
    maxAge: formField(body, 'max_age'),
    acrValues: formField(body, 'acr_values'),
  }
}

/** The form's fields as a rule object, for the same validation as the JSON API. */
function ruleFromForm(values: RuleFormValues): Record<string, unknown> {
  const [audience = '', resource = ''] = values.target.split(' ')
  const words = (text: string) => text.split(/\s+/).filter((word) => word !== '')
  const sensitive = words(values.sensitiveScopes)
  return {
    id: values.id,
    ...(values.description === '' ? {} : { description: values.description }),
    effect: values.effect,
    subject: values.subject,
    client: values.client === '' ? ANY : values.client,
    audience,
    resource,
    scopes: words(values.scopes),
    ...(sensitive.length === 0
      ? {}
      : {
          sensitive: {
            scopes: sensitive,
            max_age: values.maxAge === '' ? Number.NaN : Number(values.maxAge),
            ...(values.acrValues === '' ? {} : { acr_values: values.acrValues }),
          },
        }),
  }
}

function replaceRule(policy: EnterprisePolicy, id: string, rule: PolicyRule): EnterprisePolicy {
  return { ...policy, rules: policy.rules.map((candidate) => (candidate.id === id ? rule : candidate)) }
}

function setUserDisabled(policy: EnterprisePolicy, username: string, disabled: boolean): EnterprisePolicy {
  const others = policy.disabledUsers.filter((name) => name !== username)
  return { ...policy, disabledUsers: disabled ? [...others, username] : others }
}

function setClientAccess(
  policy: EnterprisePolicy,
  client: string,
  resource: string,
  enabled: boolean,
): EnterprisePolicy {
  const others = policy.disabledClientAccess.filter((entry) => entry.client !== client || entry.resource !== resource)
  return { ...policy, disabledClientAccess: enabled ? others : [...others, { client, resource }] }
}

function directoryView(config: IdpConfig, policy: EnterprisePolicy) {
  return {
    users: config.users.map((user) => ({
      username: user.username,
      sub: user.sub,
      name: user.name,
      email: user.email,
      groups: user.groups,
      administrator: user.administrator === true,
      disabled: policy.disabledUsers.includes(user.username),
    })),
    groups: groupsOf(config.users),
    clients: config.clients.map((client) => ({
      client_id: client.client_id,
      token_endpoint_auth_method: client.token_endpoint_auth_method,
    })),
    authorizationServers: config.authorizationServers,
  }
}

/** How long tokens issued before a change stay usable (issue 12, item 3). */
function revocationWindow(config: IdpConfig) {
  return {
    id_jag_lifetime_seconds: config.idJagLifetimeSeconds,
    access_token_lifetime_seconds: config.accessTokenLifetimeSeconds,
    worst_case_seconds: config.idJagLifetimeSeconds + config.accessTokenLifetimeSeconds,
    applies_to:
      'the next token exchange (ID token or refresh token as subject); tokens already issued are not recalled',
  }
}

function readFilter(req: Request): AuditFilter {
  const one = (name: string) =>
    typeof req.query[name] === 'string' && req.query[name] !== '' ? req.query[name] : undefined
  return { user: one('user'), client: one('client'), decision: one('decision') }
}

function filterAudit(events: readonly AuditEvent[], filter: AuditFilter): AuditEvent[] {
  return events
    .filter(
      (event) =>
        (filter.user === undefined || event.user === filter.user) &&
        (filter.client === undefined || event.client_id === filter.client) &&
        (filter.decision === undefined || event.decision === filter.decision),
    )
    .slice(0, 500)
}
