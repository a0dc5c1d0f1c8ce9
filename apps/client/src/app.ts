import express, { type NextFunction, type Request, type Response } from 'express'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { RedisConnection } from '@ema/redis-store'
import { demoResetRoutes, DEMO_RESET_PATH, healthRoutes, type Logger, type OpenStreams } from '@ema/server-kit'
import { TemporarilyUnavailableError } from '@ema/tokens'
import type { ClientConfig } from './config.ts'
import { connectToTasks, DISPLAY_NAMES } from './connect-to-tasks.ts'
import { asFlowError, callMcpTool, stepUpSignInFor, type FlowError, type RefusingRole } from '@ema/id-jag-client'
import {
  authorizationArrow,
  callbackArrow,
  classicCallbackArrow,
  consentArrow,
  downstreamArrows,
  signInRequestArrow,
} from './browser-arrows.ts'
import { CLASSIC_CALLBACK_PATH, ClassicConnect } from './classic-connect.ts'
import { findAttack, runAttack, SIGN_IN_ATTACK } from './demo-attacks.ts'
import { renderPage } from './render-page.ts'
import { arrowFromExchange, type RoleOrigins } from './sequence-arrow.ts'
import { readCookie, SESSION_COOKIE, SessionStore, type Session } from './session-store.ts'
import { SignIn } from './sign-in.ts'
import { serveStaticAssets } from './static-assets.ts'
import type { RunResult } from './timeline.ts'
import { TrafficTap } from './traffic-tap.ts'
import { z } from 'zod'

/** The names of the roles a `FlowError` can name, as the diagram's lifelines call them. */
const REFUSING_ROLE_NAMES: Record<RefusingRole, string> = {
  idp: 'Acme SSO',
  authorization_server: 'MCP authorization server',
  mcp_server: 'Tasks MCP server',
}

export interface ClientAppDeps {
  fetch: typeof fetch
  now: () => Date
  log?: Logger
  /** `/readyz`: resolves when the IdP's discovery document is fetchable. Default: always ready. */
  ready?: () => Promise<void>
  /** `/readyz` answers 503 once this is true (shutdown began). */
  draining?: () => boolean
  /** Holds the `/events` streams, for a shutdown to end when draining begins. */
  openStreams?: OpenStreams
  /** Decision 0090: with a Redis connection (REDIS_URL), sessions are shared by every instance under `config.redisKeyPrefix`. */
  redis?: RedisConnection
}

/**
 * The Acme Agent web app: a confidential OIDC client of the IdP and an OAuth client of the MCP
 * authorization server. No side effects until a request arrives (the IdP is discovered lazily).
 *
 * Routes: `GET /` the page · `GET /events` the session's sequence diagram as server-sent events ·
 * `GET /static/*` the page's script and style · `POST /login` (or `GET /login`) → IdP · `GET /callback` ·
 * `POST /connect` runs the chain · `POST /call-tool` · `POST /break` replays the chain with one thing
 * wrong (only with CLIENT_DEMO_ATTACKS=true) · `POST /logout`. Every POST redirects to `/`
 * (POST-redirect-GET); a refusal anywhere is stored in the session and shown on the page.
 *
 * Every request the app makes for a session (sign-in, chain, tool calls, attacks) goes through one
 * recorded `fetch` ({@link TrafficTap}); each exchange becomes an arrow of the session's timeline as it
 * completes, redacted, with the tokens it carried decoded only (CL-34).
 */
export function createClientApp(config: ClientConfig, deps: ClientAppDeps): express.Express {
  const app = express()
  const ctx = clientAppContext(config, deps)
  // Forms post here and may be redirected on to the IdP, or (the classic flow) to the MCP authorization server.
  const formTargets = [config.idpIssuer, ...(ctx.classic === undefined ? [] : [config.expectedAuthorizationServer])]
    .filter((url): url is string => url !== undefined)
    .map((url) => new URL(url).origin)

  app.disable('x-powered-by')
  // /healthz (alive) and /readyz (the IdP's discovery answers; not draining), before everything else.
  app.use(healthRoutes({ ready: deps.ready, draining: deps.draining, log: deps.log }))
  // Demo only (DEMO_RESET=true, the shared DEMO_RESET_SECRET): `npm run demo:reset` ends every session. Off → 404.
  app.use(
    demoResetRoutes({
      config: config.demoReset,
      reset: async () => [`client: ${await ctx.sessions.clear()} session(s) ended`],
      log: deps.log,
    }),
  )
  app.use(express.urlencoded({ extended: false, limit: '16kb' }))
  app.use((_req, res, next) => {
    res.set('cache-control', 'no-store')
    res.set('referrer-policy', 'no-referrer')
    // Scripts and styles only from this origin, never inline; fetch and the event stream only to it.
    res.set(
      'content-security-policy',
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' " +
        formTargets.join(' '),
    )
    res.set('x-content-type-options', 'nosniff')
    next()
  })
  serveStaticAssets(app)
  app.use(async (req, res, next) => {
    const session = await ctx.sessions.fromCookie(readCookie(req.headers.cookie, SESSION_COOKIE)) // Redis down → 503
    if (session !== undefined) ctx.sessionOf.set(req, session)
    if (ctx.sessions.shared) saveBeforeResponding(ctx, req, res)
    next()
  })

  app.get('/', (req, res) => showPage(ctx, req, res))
  app.get('/events', (req, res) => streamTimeline(ctx, req, res))
  app.post('/login', (req, res) => startSignIn(ctx, req, res))
  app.get('/login', (req, res) => startSignIn(ctx, req, res))
  app.get('/callback', (req, res) => finishSignIn(ctx, req, res))
  app.post('/connect', (req, res) => connectToMcpServer(ctx, req, res))
  app.get(CLASSIC_CALLBACK_PATH, (req, res) => finishClassicConnect(ctx, req, res))
  app.post('/break', (req, res) => breakIt(ctx, req, res))
  app.post('/call-tool', (req, res) => callTool(ctx, req, res))
  app.post('/reset', (req, res) => resetDemo(ctx, req, res))
  app.post('/logout', (req, res) => logOut(ctx, req, res))
  // Last resort: never an HTML stack page.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof TemporarilyUnavailableError) {
      // The shared session store cannot answer (decision 0090): refused, never served without the session.
      deps.log?.warn('the session store is unavailable', { error: error.description })
      if (!res.headersSent) res.status(503).set('retry-after', '1').json(storeUnavailable)
      return
    }
    deps.log?.error('unexpected error', { error: error instanceof Error ? error : String(error) })
    if (res.headersSent) return
    res.status(500).type('text').send('Acme Agent hit an unexpected error; see its log.')
  })

  return app
}

/** The answer while the shared session store (Redis) cannot be reached. */
const storeUnavailable = {
  error: 'temporarily_unavailable',
  error_description: 'Acme Agent cannot reach its session store right now; try again in a moment',
} as const

/**
 * Shared sessions (decision 0090): the session is written back before the response goes out, so that
 * the request the browser sends next, at whichever instance, sees it. When Redis cannot take it, a
 * response not yet sent becomes a 503.
 */
function saveBeforeResponding(ctx: ClientAppContext, req: Request, res: Response): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response
  res.end = ((...args: unknown[]) => {
    const session = ctx.sessionOf.get(req)
    if (session === undefined) return end(...args)
    ctx.sessions.save(session).then(
      () => end(...args),
      (error: unknown) => {
        ctx.deps.log?.error('the session could not be saved', { error: error instanceof Error ? error : String(error) })
        if (res.headersSent) return end(...args)
        res.removeHeader('location')
        res.statusCode = 503
        res.setHeader('content-type', 'application/json; charset=utf-8')
        res.setHeader('retry-after', '1')
        end(JSON.stringify(storeUnavailable))
      },
    )
    return res
  }) as Response['end']
}

/** The page's form fields; each is optional, and one of the wrong type (a repeated field) counts as absent. */
const PageForm = z.object({
  login_hint: z
    .string()
    .regex(/^[a-z0-9._-]{1,64}$/i)
    .optional()
    .catch(undefined),
  then: z.string().optional().catch(undefined),
  attack: z.string().optional().catch(undefined),
  mode: z.string().optional().catch(undefined),
  tool: z.string().optional().catch(undefined),
  title: z.string().optional().catch(undefined),
})
const readForm = (req: Request) => PageForm.catch({}).parse(req.body)

/** What every route handler shares: the sessions, the recorded fetch, the sign-in and the session bookkeeping. */
interface ClientAppContext {
  config: ClientConfig
  deps: ClientAppDeps
  sessions: SessionStore
  /** The session of each request, read once when it arrives (from Redis, when shared). */
  sessionOf: WeakMap<Request, Session>
  tap: TrafficTap
  signIn: SignIn
  classic: ClassicConnect | undefined
  origins: RoleOrigins
  now(): number
  /** Runs `fn` with every request it makes recorded as an arrow of the session's timeline. */
  recorded<T>(session: Session, fn: () => Promise<T>): Promise<T>
  endRun(session: Session, error: FlowError | undefined): void
  current(req: Request): Session | undefined
  currentOrNew(req: Request, res: Response): Session
  /** Stores a refusal in the session, for the page, and names the role that refused. */
  fail(session: Session, error: unknown): FlowError
}

function clientAppContext(config: ClientConfig, deps: ClientAppDeps): ClientAppContext {
  const sessions = new SessionStore(
    config.sessionSecret,
    deps.redis === undefined ? {} : { shared: { connection: deps.redis, prefix: config.redisKeyPrefix } },
  )
  const sessionOf = new WeakMap<Request, Session>()
  const tap = new TrafficTap(deps.fetch, () => deps.now().getTime())
  const secureCookie = new URL(config.clientUrl).protocol === 'https:'
  const origins: RoleOrigins = {
    idpIssuer: config.idpIssuer,
    authorizationServer: config.expectedAuthorizationServer,
    mcpServerUrl: config.mcpServerUrl,
  }
  const current = (req: Request): Session | undefined => sessionOf.get(req)
  return {
    config,
    deps,
    sessions,
    sessionOf,
    tap,
    signIn: new SignIn(config, { fetch: tap.fetch }),
    classic:
      config.classicClient === undefined
        ? undefined
        : new ClassicConnect(config, config.classicClient, { fetch: tap.fetch }),
    origins,
    now: () => deps.now().getTime(),
    recorded: (session, fn) =>
      tap.run((tapped) => {
        const arrow = arrowFromExchange(tapped, origins)
        if (arrow !== undefined) session.timeline.add(arrow)
      }, fn),
    endRun: (session, error) => {
      const result: RunResult =
        error === undefined
          ? { outcome: 'ok' }
          : { outcome: 'refused', role: session.error?.role, error: error.error, message: error.message }
      session.timeline.end(result)
    },
    current,
    currentOrNew: (req, res) => {
      const existing = current(req)
      if (existing !== undefined) return existing
      const session = sessions.create()
      sessionOf.set(req, session)
      // The browser holds only this opaque, signed id; every token stays on the server (CL-34).
      res.cookie(SESSION_COOKIE, sessions.cookieValue(session), {
        httpOnly: true,
        sameSite: 'lax',
        secure: secureCookie,
        path: '/',
      })
      return session
    },
    fail: (session, error) => {
      const flowError = asFlowError(error)
      // The role that refused: the last refused arrow of the diagram, else the role the error names.
      const refusedArrow = [...session.timeline.arrows].reverse().find((arrow) => arrow.outcome === 'refused')
      const role =
        refusedArrow?.refusal?.role ??
        (flowError.refusedBy === undefined ? undefined : REFUSING_ROLE_NAMES[flowError.refusedBy])
      session.error = { code: flowError.error, message: flowError.message, role }
      deps.log?.warn('refused', { error: flowError.error, message: flowError.message, status: flowError.status, role })
      return flowError
    },
  }
}

/** `GET /`: the page. */
function showPage(ctx: ClientAppContext, req: Request, res: Response): void {
  const session = ctx.current(req)
  const autoRun = session?.autoRun
  if (session !== undefined) delete session.autoRun // once
  res.type('html').send(
    renderPage(session, {
      mcpServerUrl: ctx.config.mcpServerUrl,
      idpIssuer: ctx.config.idpIssuer,
      demoAttacks: ctx.config.demoAttacks !== undefined,
      demoReset: ctx.config.demoReset !== undefined,
      classic: ctx.classic !== undefined,
      resetNotice: readResetNotice(req.query.reset),
      autoRun,
    }),
  )
}

/** `GET /events`: the session's sequence diagram, live: the current run at once, then each arrow as it completes. */
function streamTimeline(ctx: ClientAppContext, req: Request, res: Response): void {
  const session = ctx.current(req)
  if (session === undefined) {
    res.status(204).end() // an EventSource stops reconnecting on 204
    return
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  })
  const send = (event: { type: string }) => res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`)
  send(session.timeline.snapshot())
  const unsubscribe = session.timeline.subscribe(send)
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
  heartbeat.unref()
  ctx.deps.openStreams?.add(res) // a shutdown ends it; the page's EventSource reconnects to another instance
  req.on('close', () => {
    clearInterval(heartbeat)
    unsubscribe()
  })
}

/** `POST /login` (or `GET /login`): on to the IdP. */
async function startSignIn(ctx: ClientAppContext, req: Request, res: Response): Promise<void> {
  const session = ctx.currentOrNew(req, res)
  delete session.error
  delete session.attack
  const form = readForm(req)
  const loginHint = form.login_hint
  if (form.then === 'connect') session.autoRun = 'connect'
  if (form.attack === SIGN_IN_ATTACK && ctx.config.demoAttacks !== undefined) session.attack = SIGN_IN_ATTACK
  session.timeline.begin(
    session.attack === undefined ? 'Sign-in' : `Break it: ${findAttack(SIGN_IN_ATTACK)?.label ?? ''}`,
    session.attack === undefined ? {} : { attack: session.attack },
  )
  const startedAt = ctx.now()
  let authorizationUrl: URL | undefined
  try {
    authorizationUrl = await ctx.recorded(session, () => ctx.signIn.start(session, { loginHint }))
    session.pendingAuthorization = { url: authorizationUrl.href, sentAt: ctx.now() }
    res.redirect(303, authorizationUrl.href)
  } catch (error) {
    ctx.endRun(session, ctx.fail(session, error))
    res.redirect(303, '/')
  } finally {
    // Placed just before the requests it made (discovery), which were recorded first.
    session.timeline.add(
      signInRequestArrow(
        { startedAt: startedAt - 0.5, durationMs: ctx.now() - startedAt },
        authorizationUrl?.href,
        ctx.config.clientUrl,
      ),
    )
  }
}

/** `GET /callback`: back from the IdP. */
async function finishSignIn(ctx: ClientAppContext, req: Request, res: Response): Promise<void> {
  const session = ctx.current(req)
  if (session === undefined) {
    res.redirect(303, '/')
    return
  }
  const startedAt = ctx.now()
  const callbackUrl = new URL(req.originalUrl, ctx.config.clientUrl)
  const pending = session.pendingAuthorization
  delete session.pendingAuthorization
  if (pending !== undefined) {
    const error = callbackUrl.searchParams.get('error') ?? undefined
    session.timeline.add(
      authorizationArrow({ startedAt: pending.sentAt, durationMs: startedAt - pending.sentAt }, pending.url, {
        error,
        description: callbackUrl.searchParams.get('error_description') ?? undefined,
      }),
    )
  }
  let failure: FlowError | undefined
  try {
    const { user, idToken } = await ctx.recorded(session, () => ctx.signIn.finish(session, callbackUrl))
    session.user = user
    session.idToken = idToken
    session.steps = []
    delete session.error
    ctx.deps.log?.info('signed in', { sub: user.sub })
  } catch (error) {
    failure = ctx.fail(session, error)
    delete session.autoRun
  }
  session.timeline.add(
    callbackArrow(
      { startedAt: startedAt - 0.5, durationMs: ctx.now() - startedAt },
      callbackUrl.href,
      failure === undefined ? undefined : { error: failure.error, message: failure.message },
    ),
  )
  session.signedInAt = ctx.now()
  if (failure === undefined && session.stepUp !== undefined && !session.stepUp.retried) {
    // CL-35, IDP-56: back from a step-up sign-in; the chain runs again, once, with the fresh ID token.
    session.stepUp.retried = true
    delete session.autoRun
    res.redirect(303, (await runChainFor(ctx, session))?.href ?? '/')
    return
  }
  if (failure !== undefined) delete session.stepUp
  if (failure !== undefined || session.autoRun === undefined) ctx.endRun(session, failure)
  res.redirect(303, '/')
}

/**
 * Runs the chain for a signed-in session. When Acme SSO answers `insufficient_user_authentication`
 * (a sensitive scope and a sign-in too old, IDP-20, IDP-56) and this is not already the retry, the
 * user is sent back to sign in (`prompt=login`, the IdP's `max_age`): returns that URL, and the chain
 * runs again once after the callback (CL-35). A second refusal is shown, never looped.
 */
async function runChainFor(ctx: ClientAppContext, session: Session): Promise<URL | undefined> {
  if (session.busy) return undefined
  session.busy = true
  session.steps = []
  delete session.error
  delete session.toolResult
  delete session.tools
  // The sign-in leg stays in the diagram; a previous chain run does not. A carol run keeps its title.
  const signedInAt = session.signedInAt ?? 0
  const continuesSignIn = session.timeline.run.result === undefined && session.timeline.run.title !== 'Nothing yet'
  if (!continuesSignIn) {
    delete session.attack
    session.timeline.begin('Sign-in and the chain', { keep: (arrow) => arrow.startedAt < signedInAt })
  }
  let failure: FlowError | undefined
  let stepUpUrl: URL | undefined
  try {
    await ctx.recorded(session, () => connectToTasks(session, ctx.config, { fetch: ctx.tap.fetch, signIn: ctx.signIn }))
    session.connectedVia = 'ema'
    delete session.stepUp
  } catch (error) {
    const stepUp = stepUpSignInFor(error)
    if (stepUp !== undefined && session.stepUp?.retried !== true) {
      session.stepUp = { retried: false }
      ctx.deps.log?.info('step-up: sending the user back to sign in', { max_age: stepUp.maxAge })
      try {
        const url = await ctx.recorded(session, () => ctx.signIn.start(session, { stepUp }))
        session.pendingAuthorization = { url: url.href, sentAt: ctx.now() }
        stepUpUrl = url
      } catch (cause) {
        delete session.stepUp
        failure = ctx.fail(session, cause)
      }
    } else {
      delete session.stepUp
      failure = ctx.fail(session, error)
    }
  } finally {
    session.busy = false
  }
  if (stepUpUrl === undefined) ctx.endRun(session, failure)
  return stepUpUrl
}

/** `POST /connect`: the chain (or, `mode=classic`, the classic MCP flow). */
async function connectToMcpServer(ctx: ClientAppContext, req: Request, res: Response): Promise<void> {
  const session = ctx.current(req)
  if (session?.user === undefined) {
    res.redirect(303, '/')
    return
  }
  delete session.stepUp
  if (readForm(req).mode === 'classic' && ctx.classic !== undefined) {
    res.redirect(303, (await connectClassic(ctx, session, ctx.classic))?.href ?? '/')
    return
  }
  res.redirect(303, (await runChainFor(ctx, session))?.href ?? '/')
}

/**
 * The toggle's "without enterprise-managed authorization": the same connection the classic MCP way.
 * Discovers the authorization server and returns its authorization request (PKCE S256, state,
 * resource); the user signs in there (federated to Acme SSO) and approves on its consent screen.
 */
async function connectClassic(ctx: ClientAppContext, session: Session, flow: ClassicConnect): Promise<URL | undefined> {
  if (session.busy) return undefined
  session.steps = []
  delete session.error
  delete session.toolResult
  delete session.tools
  delete session.attack
  await session.mcp?.close().catch(() => {})
  delete session.mcp
  delete session.connectedVia
  const signedInAt = session.signedInAt ?? 0
  session.timeline.begin('Without enterprise-managed authorization: the classic MCP flow (consent screen)', {
    keep: (arrow) => arrow.startedAt < signedInAt,
  })
  try {
    const url = await ctx.recorded(session, () => flow.start(session))
    session.pendingConsent = { url: url.href, sentAt: ctx.now() }
    return url
  } catch (error) {
    ctx.endRun(session, ctx.fail(session, error))
    return undefined
  }
}

/** `GET /classic/callback`: back from the MCP authorization server's consent screen. */
async function finishClassicConnect(ctx: ClientAppContext, req: Request, res: Response): Promise<void> {
  const session = ctx.current(req)
  const classic = ctx.classic
  if (session === undefined || classic === undefined || session.busy) {
    res.redirect(303, '/')
    return
  }
  const startedAt = ctx.now()
  const callbackUrl = new URL(req.originalUrl, ctx.config.clientUrl)
  const pending = session.pendingConsent
  delete session.pendingConsent
  if (pending !== undefined)
    session.timeline.add(
      consentArrow({ startedAt: pending.sentAt, durationMs: startedAt - pending.sentAt }, pending.url, {
        error: callbackUrl.searchParams.get('error') ?? undefined,
        description: callbackUrl.searchParams.get('error_description') ?? undefined,
      }),
    )
  let failure: FlowError | undefined
  session.busy = true
  try {
    await ctx.recorded(session, () => classic.finish(session, callbackUrl))
    session.connectedVia = 'classic'
    ctx.deps.log?.info('connected the classic way', { tools: session.tools?.length ?? 0 })
  } catch (error) {
    failure = ctx.fail(session, error)
  } finally {
    session.busy = false
  }
  session.timeline.add(
    classicCallbackArrow(
      { startedAt: startedAt - 0.5, durationMs: ctx.now() - startedAt },
      callbackUrl.href,
      failure === undefined ? undefined : { error: failure.error, message: failure.message },
    ),
  )
  ctx.endRun(session, failure)
  res.redirect(303, '/')
}

/** `POST /break`: replays the chain with one thing wrong (CLIENT_DEMO_ATTACKS=true only). */
async function breakIt(ctx: ClientAppContext, req: Request, res: Response): Promise<void> {
  const session = ctx.current(req)
  const world = ctx.config.demoAttacks
  const attack = findAttack(readForm(req).attack ?? '')
  if (world === undefined) {
    res.status(404).type('text').send('The "Break it" panel is off (CLIENT_DEMO_ATTACKS is not true).')
    return
  }
  if (session?.idToken === undefined || attack === undefined || attack.id === SIGN_IN_ATTACK || session.busy) {
    res.redirect(303, '/')
    return
  }
  session.busy = true
  delete session.error
  delete session.toolResult
  session.attack = attack.id
  session.timeline.begin(`Break it: ${attack.label}`, { attack: attack.id })
  let failure: FlowError | undefined
  try {
    const idToken = session.idToken
    await ctx.recorded(session, () =>
      runAttack(attack, {
        chain: ctx.config,
        world,
        fetch: ctx.tap.fetch,
        idToken,
        idp: () => ctx.signIn.tokenEndpoint(),
        idpName: DISPLAY_NAMES.idpName,
      }),
    )
    session.error = {
      code: 'not_refused',
      message: `Nobody refused "${attack.label}": the demo expected ${attack.error} from the ${attack.refusedBy} role.`,
    }
  } catch (error) {
    failure = ctx.fail(session, error)
  } finally {
    session.busy = false
  }
  ctx.endRun(session, failure)
  res.redirect(303, '/')
}

/** `POST /call-tool`: one of the listed tools, over the session's MCP connection. */
async function callTool(ctx: ClientAppContext, req: Request, res: Response): Promise<void> {
  const session = ctx.current(req)
  const connection = session?.mcp
  if (session === undefined || connection === undefined) {
    res.redirect(303, '/')
    return
  }
  delete session.error
  const form = readForm(req)
  const tool = session.tools?.find((candidate) => candidate.name === form.tool)
  if (tool === undefined) {
    ctx.fail(session, new Error('Choose one of the listed tools'))
    res.redirect(303, '/')
    return
  }
  const args: Record<string, unknown> = {}
  const title = form.title?.trim() ?? ''
  if (tool.inputSchema.properties !== undefined && 'title' in tool.inputSchema.properties && title !== '')
    args.title = title
  const startedAt = ctx.now()
  let failure: FlowError | undefined
  try {
    const result = await ctx.recorded(session, () =>
      callMcpTool(connection, tool.name, args, { grantedScope: session.grantedScope }),
    )
    session.toolResult = { tool: tool.name, text: describeResult(result) }
    for (const arrow of downstreamArrows(result._meta, { startedAt, durationMs: ctx.now() - startedAt }, ctx.origins))
      session.timeline.add(arrow)
  } catch (error) {
    delete session.toolResult
    // A fresh ID-JAG was needed during the call and the IdP wants a newer sign-in (IDP-56): sign in, then the chain runs again once.
    const stepUp = stepUpSignInFor(error)
    if (stepUp !== undefined) {
      session.stepUp = { retried: false }
      try {
        const url = await ctx.recorded(session, () => ctx.signIn.start(session, { stepUp }))
        session.pendingAuthorization = { url: url.href, sentAt: ctx.now() }
        res.redirect(303, url.href)
        return
      } catch (cause) {
        delete session.stepUp
        failure = ctx.fail(session, cause)
      }
    } else {
      failure = ctx.fail(session, error)
    }
  }
  ctx.endRun(session, failure)
  res.redirect(303, '/')
}

/**
 * The page's "Reset the demo" button (and the presenter's R key): every role's `POST /demo/reset`
 * with the shared secret, server-side (the browser never sees it), then every session here ends.
 * Same-origin form posts only.
 */
async function resetDemo(ctx: ClientAppContext, req: Request, res: Response): Promise<void> {
  const demoReset = ctx.config.demoReset
  if (demoReset === undefined) {
    res.status(404).json({
      error: 'not_found',
      error_description: 'the demo reset is off; start Acme Agent with DEMO_RESET=true and DEMO_RESET_SECRET',
    })
    return
  }
  // This page only: the browser's Fetch Metadata, else Origin (`null` under this page's no-referrer policy).
  const origin = req.headers.origin
  const site = req.headers['sec-fetch-site']
  if (
    (site !== undefined && site !== 'same-origin') ||
    (origin !== undefined && origin !== 'null' && origin !== new URL(ctx.config.clientUrl).origin)
  ) {
    res.status(403).json({ error: 'forbidden', error_description: 'the reset is accepted from this page only' })
    return
  }
  const failed: string[] = []
  for (const role of demoReset.roles) {
    try {
      const response = await ctx.deps.fetch(new URL(DEMO_RESET_PATH, role.url.replace(/\/?$/, '/')).href, {
        method: 'POST',
        headers: { authorization: `Bearer ${demoReset.secret}` },
        signal: AbortSignal.timeout(5000),
      })
      if (!response.ok) failed.push(`${role.name} (HTTP ${response.status})`)
    } catch (error) {
      failed.push(`${role.name} (${error instanceof Error ? error.message : String(error)})`)
    }
  }
  const ended = await ctx.sessions.clear()
  if (failed.length > 0) ctx.deps.log?.warn('demo reset: some roles were not reset', { failed: failed.join('; ') })
  ctx.deps.log?.warn('DEMO RESET from the page: every role back at the demo start', { sessions: ended })
  res.clearCookie(SESSION_COOKIE, { path: '/' })
  res.redirect(303, failed.length === 0 ? '/?reset=done' : '/?reset=partial')
}

/** `POST /logout`. */
async function logOut(ctx: ClientAppContext, req: Request, res: Response): Promise<void> {
  const session = ctx.current(req)
  if (session !== undefined) await ctx.sessions.destroy(session)
  res.clearCookie(SESSION_COOKIE, { path: '/' })
  res.redirect(303, '/')
}

/** The notice after a reset, from `?reset=` (a fixed vocabulary, never echoed). */
function readResetNotice(value: unknown): 'done' | 'partial' | undefined {
  return value === 'done' || value === 'partial' ? value : undefined
}

/**
 * The tool result as text for the page: its text content, else its structured content, then its
 * `_meta` when the server sent one (the MCP server's downstream trace, MCP_TRACE_DOWNSTREAM).
 */
function describeResult(result: CallToolResult): string {
  const text = result.content.map((item) => (item.type === 'text' ? item.text : `[${item.type}]`)).join('\n')
  const shown = text !== '' ? text : JSON.stringify(result.structuredContent ?? {}, null, 2)
  const meta =
    result._meta === undefined
      ? ''
      : `\n\n_meta (what the server reports about this call):\n${JSON.stringify(result._meta, null, 2)}`
  return `${result.isError === true ? `The tool reported an error:\n${shown}` : shown}${meta}`
}
