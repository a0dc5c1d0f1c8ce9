import {
  generateSigningKey,
  publicJwks,
  remoteKeySet,
  signAccessToken,
  type SignAccessTokenOptions,
  type SigningKey,
} from '@ema/tokens'
import { createLogger, listen, type Listening } from '@ema/server-kit'
import { useForSuite } from '@ema/test-kit'
import { createTasksApiApp } from '../../src/app.ts'
import { loadConfig, type TasksApiConfig } from '../../src/config.ts'
import { createInMemoryTaskStore, type TaskStore } from '../../src/task-store.ts'

export const ALICE = 'acme|u-1001'
export const MCP_SERVER = 'tasks-mcp-server'
export const AGENT = 'acme-agent-tasks'
/** The act claim the authorization server puts in an on-behalf-of token (contract: OBO-12). */
export const ACT = { sub: MCP_SERVER, act: { sub: AGENT } }

/** The test plays the authorization server: a JWKS endpoint on an ephemeral port and its signing key. */
export interface FakeAuthorizationServer {
  issuer: string
  key: SigningKey
  /** An on-behalf-of token for the Tasks API; defaults: alice, client tasks-mcp-server, both scopes, the contract's act. */
  mint(overrides?: Partial<SignAccessTokenOptions>): Promise<string>
  close(): Promise<void>
}

export async function startAuthorizationServer(audience: () => string): Promise<FakeAuthorizationServer> {
  const key = await generateSigningKey()
  const l = await listen({ port: 0 }, (req, res) => {
    if (req.url === '/jwks')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(publicJwks([key])))
    else res.writeHead(404).end()
  })
  return {
    issuer: l.url,
    key,
    mint: (overrides = {}) =>
      signAccessToken({
        issuer: l.url,
        subject: ALICE,
        audience: audience(),
        clientId: MCP_SERVER,
        scope: 'tasks.read tasks.write',
        expiresInSeconds: 300,
        now: new Date(),
        key,
        extraClaims: { act: ACT },
        ...overrides,
      }),
    close: () => l.close(),
  }
}

export interface RunningTasksApi {
  config: TasksApiConfig
  url: string
  store: TaskStore
  /** What the API logged. */
  lines: string[]
  close(): Promise<void>
}

/** The Tasks API on an ephemeral port, trusting `issuer`. */
export async function startTasksApi(
  issuer: string,
  env: Record<string, string> = {},
  options: { now?: () => Date } = {},
): Promise<RunningTasksApi> {
  const l: Listening = await listen({ port: 0 })
  const config = loadConfig({ TASKS_API_URL: l.url, AS_ISSUER: issuer, ALLOW_INSECURE_HTTP: 'true', ...env })
  const store = createInMemoryTaskStore()
  const lines: string[] = []
  const log = createLogger({ name: 'tasks-api', level: 'debug', write: (line) => lines.push(line) })
  l.server.on(
    'request',
    createTasksApiApp(config, {
      now: options.now ?? (() => new Date()),
      authorizationServerKeys: remoteKeySet(config.authorizationServer.jwksUri, { allowInsecureHttp: true }),
      log,
      store,
    }),
  )
  return { config, url: l.url, store, lines, close: () => l.close() }
}

/**
 * A fake authorization server and the Tasks API trusting it, for the whole suite: the AS issues for
 * the API's identifier once the API is up. `ready` receives both.
 */
export function useTasksApi(
  ready: (suite: { as: FakeAuthorizationServer; api: RunningTasksApi }) => unknown,
  options: { now?: () => Date } = {},
): void {
  useForSuite(
    async () => {
      let identifier = ''
      const as = await startAuthorizationServer(() => identifier)
      const api = await startTasksApi(as.issuer, {}, options)
      identifier = api.config.identifier
      return { as, api }
    },
    async ({ as, api }) => {
      await api.close()
      await as.close()
    },
    ready,
  )
}
