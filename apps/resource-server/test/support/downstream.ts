import {
  actorChain,
  InsufficientScopeError,
  inspectJwt,
  InvalidTokenError,
  parseScope,
  remoteKeySet,
  signAccessToken,
  toOAuthError,
  verifyAccessToken,
} from '@ema/tokens'
import { listen, type Listening } from '@ema/server-kit'
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  startAuthorizationServer,
  startResourceServer,
  type FakeAuthorizationServer,
  type ResourceServerSuite,
} from './resource-server.ts'
import { useForSuite } from '@ema/test-kit'

// Stand-ins for the MCP server's two downstream peers, on ephemeral ports, built on the fake AS of
// resource-server.ts: its token endpoint speaking RFC 8693 on-behalf-of (per docs/obo contract), and a Tasks
// API that verifies what it receives as the real one does (aud, act). Real HTTP both ways.

export const MCP_SERVER_CLIENT = 'tasks-mcp-server'
export const MCP_SERVER_SECRET = 'tasks-mcp-server-secret'

export interface StsAnswer {
  status: number
  body: unknown
}

export interface FakeSts {
  tokenUrl: string
  /** Every form the token endpoint received. */
  requests: URLSearchParams[]
  /** Every access token it issued. */
  issued: string[]
  /** Replaces the normal answer (a refusal, say); `undefined` restores it. */
  override: ((form: URLSearchParams) => StsAnswer | Promise<StsAnswer>) | undefined
  /** Milliseconds to wait before answering. */
  delayMs: number
  /** Further MCP servers whose tokens it takes as subject tokens (tests that start a second MCP server). */
  otherMcpResources: string[]
  close(): Promise<void>
}

/**
 * The authorization server's token endpoint for the exchange: client_secret_basic for
 * tasks-mcp-server; the subject token verified (aud = the MCP server, `mcpResource()`); scope only
 * what the subject token has; the issued token: same sub, aud = the requested audience, client_id
 * tasks-mcp-server, act = { sub: tasks-mcp-server, act: { sub: <subject client_id> } }.
 */
export async function startFakeSts(as: FakeAuthorizationServer, mcpResource: () => string): Promise<FakeSts> {
  const keys = remoteKeySet(`${as.issuer}/jwks`, { allowInsecureHttp: true })
  const sts: FakeSts = {
    tokenUrl: '',
    requests: [],
    issued: [],
    override: undefined,
    delayMs: 0,
    otherMcpResources: [],
    close: async () => l.close(),
  }
  const answer = async (form: URLSearchParams, authorization: string | undefined): Promise<StsAnswer> => {
    if (authorization !== `Basic ${Buffer.from(`${MCP_SERVER_CLIENT}:${MCP_SERVER_SECRET}`).toString('base64')}`)
      return { status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } }
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange')
      return { status: 400, body: { error: 'unsupported_grant_type' } }
    let subject
    try {
      const aud = inspectJwt(form.get('subject_token') ?? '')?.claims.aud
      const audience = [mcpResource(), ...sts.otherMcpResources].find((r) => r === aud) ?? mcpResource()
      subject = await verifyAccessToken(form.get('subject_token') ?? '', {
        issuer: as.issuer,
        keys,
        audience,
        now: new Date(),
      })
    } catch (error) {
      return {
        status: 400,
        body: {
          error: 'invalid_request',
          error_description: `the subject token is not acceptable: ${toOAuthError(error).description}`,
        },
      }
    }
    const requested = parseScope(form.get('scope'))
    const held = parseScope(subject.scope)
    const escalated = requested.filter((s) => !held.includes(s))
    if (escalated.length > 0)
      return {
        status: 400,
        body: { error: 'invalid_scope', error_description: `the subject token does not carry ${escalated.join(' ')}` },
      }
    const token = await signAccessToken({
      issuer: as.issuer,
      subject: subject.sub,
      audience: form.get('audience') ?? 'unset',
      clientId: MCP_SERVER_CLIENT,
      scope: requested.join(' '),
      expiresInSeconds: 300,
      now: new Date(),
      key: as.key,
      extraClaims: { act: { sub: MCP_SERVER_CLIENT, act: { sub: subject.client_id } } },
    })
    sts.issued.push(token)
    return {
      status: 200,
      body: {
        access_token: token,
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: 300,
        scope: requested.join(' '),
      },
    }
  }
  const l: Listening = await listen({ port: 0 }, (req, res) => {
    void readBody(req).then(async (text) => {
      const form = new URLSearchParams(text)
      sts.requests.push(form)
      const result =
        sts.override !== undefined ? await sts.override(form) : await answer(form, req.headers.authorization)
      if (sts.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, sts.delayMs))
      send(res, result.status, result.body)
    })
  })
  sts.tokenUrl = `${l.url}/token`
  return sts
}

export interface FakeTasksApi {
  url: string
  /** The bearer token of every request. */
  tokens: string[]
  /** Replaces the normal answer; `undefined` restores it. */
  override: ((req: IncomingMessage) => StsAnswer) | undefined
  close(): Promise<void>
}

/** GET /whoami, GET /tasks, POST /tasks: verified like the real Tasks API (aud = its URL, an act claim, the route's scope). */
export async function startFakeTasksApi(as: FakeAuthorizationServer): Promise<FakeTasksApi> {
  const keys = remoteKeySet(`${as.issuer}/jwks`, { allowInsecureHttp: true })
  const tasks = new Map<string, Array<{ id: string; title: string }>>()
  const api: FakeTasksApi = { url: '', tokens: [], override: undefined, close: async () => l.close() }
  const l: Listening = await listen({ port: 0 }, (req, res) => {
    void readBody(req).then(async (text) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''
      api.tokens.push(token)
      if (api.override !== undefined) {
        const result = api.override(req)
        send(res, result.status, result.body)
        return
      }
      try {
        const claims = await verifyAccessToken(token, { issuer: as.issuer, keys, audience: api.url, now: new Date() })
        const chain = actorChain(claims)
        if (chain === undefined) throw new InvalidTokenError('delegation required: the token has no act claim')
        const need = req.method === 'POST' ? 'tasks.write' : 'tasks.read'
        if (!parseScope(claims.scope).includes(need))
          throw new InsufficientScopeError(`this request needs the scope ${need}`, [need])
        const list = tasks.get(claims.sub) ?? []
        if (req.url === '/whoami')
          send(res, 200, {
            sub: claims.sub,
            actor: chain[0],
            actors_chain: chain,
            client_id: claims.client_id,
            scope: claims.scope,
          })
        else if (req.method === 'GET') send(res, 200, { tasks: list })
        else {
          const task = {
            id: crypto.randomUUID(),
            title: String((JSON.parse(text) as { title: unknown }).title),
            added_by: { sub: claims.sub, actor: chain[0] },
          }
          tasks.set(claims.sub, [...list, task])
          send(res, 201, { task })
        }
      } catch (error) {
        const oauth = toOAuthError(error)
        res.setHeader('www-authenticate', `Bearer error="${oauth.error}"`)
        send(res, oauth.status, oauth.toJSON())
      }
    })
  })
  api.url = l.url
  return api
}

/** The MCP server's environment for these stand-ins. */
export function downstreamEnv(
  sts: FakeSts,
  api: FakeTasksApi,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    TOKEN_EXCHANGE_URL: sts.tokenUrl,
    TOKEN_EXCHANGE_CLIENT_SECRET: MCP_SERVER_SECRET,
    TASKS_API_URL: api.url,
    ...extra,
  }
}

/** A suite against the MCP server with its downstream peers: the token exchange and the Tasks API stand-ins. */
export interface DownstreamSuite extends ResourceServerSuite {
  sts: FakeSts
  api: FakeTasksApi
}

/**
 * Starts the fake authorization server, the two downstream stand-ins and an MCP server wired to them
 * (plus `extraEnv`) before the suite's tests, hands them to `ready`, and closes all four after them.
 */
export function useDownstream(ready: (suite: DownstreamSuite) => unknown, extraEnv: Record<string, string> = {}): void {
  useForSuite(
    async (): Promise<DownstreamSuite> => {
      const as = await startAuthorizationServer()
      let resource = ''
      const sts = await startFakeSts(as, () => resource)
      const api = await startFakeTasksApi(as)
      const rs = await startResourceServer(as, downstreamEnv(sts, api, extraEnv))
      resource = rs.resource
      return { as, rs, sts, api }
    },
    async ({ as, rs, sts, api }) => {
      await rs.close()
      await api.close()
      await sts.close()
      await as.close()
    },
    ready,
  )
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString()))
  })
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}
