import express, { type Request, type Response } from 'express'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { Logger } from '@ema/server-kit'
import type { ClientConfig } from './config.ts'
import { connectToTasks } from './connect-to-tasks.ts'
import { asFlowError, callMcpTool } from '@ema/id-jag-client'
import { renderPage } from './render-page.ts'
import { readCookie, SESSION_COOKIE, SessionStore, type Session } from './session-store.ts'
import { SignIn } from './sign-in.ts'

export interface ClientAppDeps {
  fetch: typeof fetch
  now: () => Date
  log?: Logger
}

/**
 * The Acme Agent web app: a confidential OIDC client of the IdP and an OAuth client of the MCP
 * authorization server. No side effects until a request arrives (the IdP is discovered lazily).
 *
 * Routes: `GET /` the page · `POST /login` (or `GET /login`) → IdP · `GET /callback` ·
 * `POST /connect` runs the chain · `POST /call-tool` · `POST /logout`. Every POST redirects to `/`
 * (POST-redirect-GET); a refusal anywhere is stored in the session and shown on the page.
 */
export function createClientApp(config: ClientConfig, deps: ClientAppDeps): express.Express {
  const app = express()
  const sessions = new SessionStore(config.sessionSecret)
  const signIn = new SignIn(config, { fetch: deps.fetch })
  const secureCookie = new URL(config.clientUrl).protocol === 'https:'

  app.disable('x-powered-by')
  app.use(express.urlencoded({ extended: false, limit: '16kb' }))
  app.use((_req, res, next) => {
    res.set('cache-control', 'no-store')
    res.set('referrer-policy', 'no-referrer')
    res.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' " + new URL(config.idpIssuer).origin)
    next()
  })

  const current = (req: Request): Session | undefined => sessions.fromCookie(readCookie(req.headers.cookie, SESSION_COOKIE))
  const currentOrNew = (req: Request, res: Response): Session => {
    const existing = current(req)
    if (existing !== undefined) return existing
    const session = sessions.create()
    // The browser holds only this opaque, signed id; every token stays on the server (CL-34).
    res.cookie(SESSION_COOKIE, sessions.cookieValue(session), { httpOnly: true, sameSite: 'lax', secure: secureCookie, path: '/' })
    return session
  }
  const fail = (session: Session, error: unknown) => {
    const flowError = asFlowError(error)
    session.error = { code: flowError.error, message: flowError.message }
    deps.log?.warn('refused', { error: flowError.error, message: flowError.message, status: flowError.status })
  }

  app.get('/', (req, res) => {
    res.type('html').send(renderPage(current(req), { mcpServerUrl: config.mcpServerUrl, idpIssuer: config.idpIssuer }))
  })

  const startSignIn = async (req: Request, res: Response) => {
    const session = currentOrNew(req, res)
    delete session.error
    try {
      res.redirect(303, (await signIn.start(session)).href)
    } catch (error) {
      fail(session, error)
      res.redirect(303, '/')
    }
  }
  app.post('/login', startSignIn)
  app.get('/login', startSignIn)

  app.get('/callback', async (req, res) => {
    const session = current(req)
    if (session === undefined) {
      res.redirect(303, '/')
      return
    }
    try {
      const { user, idToken } = await signIn.finish(session, new URL(req.originalUrl, config.clientUrl))
      session.user = user
      session.idToken = idToken
      session.steps = []
      delete session.error
      deps.log?.info('signed in', { sub: user.sub })
    } catch (error) {
      fail(session, error)
    }
    res.redirect(303, '/')
  })

  app.post('/connect', async (req, res) => {
    const session = current(req)
    if (session?.user === undefined) {
      res.redirect(303, '/')
      return
    }
    if (!session.busy) {
      session.busy = true
      session.steps = []
      delete session.error
      delete session.toolResult
      delete session.tools
      try {
        await connectToTasks(session, config, { fetch: deps.fetch, signIn })
      } catch (error) {
        fail(session, error)
      } finally {
        session.busy = false
      }
    }
    res.redirect(303, '/')
  })

  app.post('/call-tool', async (req, res) => {
    const session = current(req)
    const connection = session?.mcp
    if (session === undefined || connection === undefined) {
      res.redirect(303, '/')
      return
    }
    delete session.error
    const body = (req.body ?? {}) as Record<string, unknown>
    const tool = session.tools?.find((candidate) => candidate.name === body.tool)
    if (tool === undefined) {
      fail(session, new Error('Choose one of the listed tools'))
      res.redirect(303, '/')
      return
    }
    const args: Record<string, unknown> = {}
    const title = typeof body.title === 'string' ? body.title.trim() : ''
    if (tool.inputSchema.properties !== undefined && 'title' in tool.inputSchema.properties && title !== '') args.title = title
    try {
      const result = await callMcpTool(connection, tool.name, args, { record: (step) => session.steps.push(step), grantedScope: session.grantedScope })
      session.toolResult = { tool: tool.name, text: describeResult(result) }
    } catch (error) {
      delete session.toolResult
      fail(session, error)
    }
    res.redirect(303, '/')
  })

  app.post('/logout', async (req, res) => {
    const session = current(req)
    if (session !== undefined) await sessions.destroy(session)
    res.clearCookie(SESSION_COOKIE, { path: '/' })
    res.redirect(303, '/')
  })

  // Last resort: never an HTML stack page.
  app.use((error: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    deps.log?.error('unexpected error', { error: error instanceof Error ? error : String(error) })
    if (res.headersSent) return
    res.status(500).type('text').send('Acme Agent hit an unexpected error; see its log.')
  })

  return app
}

/**
 * The tool result as text for the page: its text content, else its structured content, then its
 * `_meta` when the server sent one (the MCP server's downstream trace, MCP_TRACE_DOWNSTREAM).
 */
function describeResult(result: CallToolResult): string {
  const text = result.content.map((item) => (item.type === 'text' ? item.text : `[${item.type}]`)).join('\n')
  const shown = text !== '' ? text : JSON.stringify(result.structuredContent ?? {}, null, 2)
  const meta = result._meta === undefined ? '' : `\n\n_meta (what the server reports about this call):\n${JSON.stringify(result._meta, null, 2)}`
  return `${result.isError === true ? `The tool reported an error:\n${shown}` : shown}${meta}`
}
