// Every process the benchmark starts, on its port, in port order: the port plan of docs/benchmarks.md
// ("Running it") reads off this file. base is BENCH_BASE_PORT; base+0 is only the client URL in the
// IdP's redirect URI. Each entry's `spec` is what startRoles (@ema/demo-kit) runs, its own environment
// included; `url` is where the benchmark sends its requests.
import { fileURLToPath } from 'node:url'
import { appFolder, demoWorldEnv, demoWorldRoles, demoWorldUrls, type RoleSpec } from '@ema/demo-kit'
import { cpuPinning } from './cpu-pinning.ts'
import { settings } from './settings.ts'

const urls = demoWorldUrls(settings.basePort)
const PEERS_FOLDER = fileURLToPath(new URL('./peers/', import.meta.url))

const portAt = (offset: number) => settings.basePort + offset
const originAt = (offset: number) => `http://localhost:${portAt(offset)}`

/** A started process: its RoleSpec, pinned like every server, with its port and its own environment. */
type Spec = RoleSpec & { port: number; env: Record<string, string> }

/** Another MCP server "Tasks" (apps/resource-server) on base+offset, with `env` over the demo world's. */
function mcpServer(offset: number, name: string, env: Record<string, string>): { url: string; spec: Spec } {
  const port = portAt(offset)
  return {
    url: `${originAt(offset)}/mcp`,
    spec: {
      name,
      cwd: appFolder('resource-server'),
      port,
      readyUrl: `${originAt(offset)}/.well-known/oauth-protected-resource/mcp`,
      ...cpuPinning.serverSpec,
      env: { RS_PORT: String(port), RS_ALLOWED_HOSTS: `localhost:${port}`, ...env },
    },
  }
}

/** A peer (scripts/bench/peers/<entry>) on base+offset, ready once `readyPath` answers 200. */
function peer(offset: number, name: string, entry: string, readyPath: string, env: Record<string, string>): Spec {
  return {
    name,
    cwd: PEERS_FOLDER,
    entry,
    port: portAt(offset),
    readyUrl: `${originAt(offset)}${readyPath}`,
    ...cpuPinning.serverSpec,
    env: { PEER_PORT: String(portAt(offset)), ...env },
  }
}

/** The client id and secret both oidc-provider peers register. */
const PEER_CLIENT = { id: 'bench-peer', secret: 'bench-peer-secret' }

/** An oidc-provider peer: its own issuer at its origin, and PEER_CLIENT registered. */
function oidcProviderPeer(
  offset: number,
  name: string,
  entry: string,
  env: Record<string, string>,
): { url: string; client: typeof PEER_CLIENT; spec: Spec } {
  return {
    url: originAt(offset),
    client: PEER_CLIENT,
    spec: peer(offset, name, entry, '/.well-known/openid-configuration', {
      PEER_ISSUER: originAt(offset),
      PEER_CLIENT_ID: PEER_CLIENT.id,
      PEER_CLIENT_SECRET: PEER_CLIENT.secret,
      ...env,
    }),
  }
}

// ---- base+1 … base+4: the demo world's roles --------------------------------------------------

/** The IdP ("idp"), the AS ("as"), the Tasks API ("tasks-api") and the MCP server ("mcp"), each on the port of its own URL. */
const roles = demoWorldRoles(urls).map((role) => ({ ...role, ...cpuPinning.serverSpec }))

// ---- base+5 … base+9: more of ours, started with the demo world's environment ------------------

/**
 * A second MCP server with the on-behalf-of cache off (TOKEN_EXCHANGE_CACHE_ENTRIES=0): every tool
 * call exchanges at the AS. Beside the first (cache warm), it shows what the second hop costs.
 */
const mcpCold = mcpServer(5, 'mcp-cold', { TOKEN_EXCHANGE_CACHE_ENTRIES: '0' })

/**
 * Decision 0060: MCP servers with TOKEN_INTROSPECTION=on, the RFC 7662 call to the AS after the local
 * checks: one with the default 10 s cache of a positive answer (per token), one asking on every request
 * (TOKEN_INTROSPECTION_CACHE_SECONDS=0), the cost of a revocation window of zero.
 */
const mcpIntrospect = mcpServer(6, 'mcp-introspect', {
  TOKEN_INTROSPECTION: 'on',
  TOKEN_INTROSPECTION_CACHE_SECONDS: '10',
})
const mcpIntrospectEvery = mcpServer(7, 'mcp-introspect-every', {
  TOKEN_INTROSPECTION: 'on',
  TOKEN_INTROSPECTION_CACHE_SECONDS: '0',
})

/**
 * A second IdP with LOG_LEVEL=info (its own issuer, alice signs in there too): its token exchange
 * writes the "issued ID-JAG" decision line per request (server-kit's batched stdout writer), beside
 * the IdP at warn, which writes none. The A/B of what logging at the default level costs.
 */
const idpInfo = {
  url: originAt(8),
  spec: {
    name: 'idp-info',
    cwd: appFolder('idp'),
    port: portAt(8),
    readyUrl: `${originAt(8)}/.well-known/openid-configuration`,
    ...cpuPinning.serverSpec,
    env: { IDP_ISSUER: originAt(8), LOG_LEVEL: 'info' },
  } satisfies Spec,
}

/**
 * Decision 0100: an MCP server with ACCESS_TOKEN_CACHE_ENTRIES=0, verifying the access token in full
 * (ECDSA and all) on every request, beside the first, which remembers the tokens it verified.
 */
const mcpVerifyEvery = mcpServer(9, 'mcp-verify-every', { ACCESS_TOKEN_CACHE_ENTRIES: '0' })

// ---- base+10 … base+14: the peers, started with this process's environment ----------------------
// What the same libraries do with less in front of them (scripts/bench/peers), never part of the product.

/** A bare oidc-provider with a minimal custom jwt-bearer grant, trusting the IdP's ID-JAGs. */
const peerJwtBearer = oidcProviderPeer(10, 'peer-jwt-bearer', 'bare-jwt-bearer.ts', {
  IDP_ISSUER: urls.idp,
  IDP_JWKS_URI: `${urls.idp}/jwks`,
  ID_JAG_AUDIENCE: urls.as,
})
/** oidc-provider's own client_credentials grant with JWT access tokens. */
const peerClientCredentials = oidcProviderPeer(11, 'peer-client-credentials', 'client-credentials.ts', {
  PEER_RESOURCE: urls.rs,
})
/** An MCP SDK server as its README shows one, without auth. */
const peerMcp = {
  url: `${originAt(12)}/mcp`,
  spec: peer(12, 'peer-mcp', 'mcp-sdk-server.ts', '/ready', { PEER_BEARER: 'false' }),
}
/** The same with the SDK's requireBearerAuth, verifying the AS's access tokens. */
const peerMcpBearer = {
  url: `${originAt(13)}/mcp`,
  spec: peer(13, 'peer-mcp-bearer', 'mcp-sdk-server.ts', '/ready', {
    PEER_BEARER: 'true',
    AS_ISSUER: urls.as,
    AS_JWKS_URI: `${urls.as}/jwks`,
    PEER_RESOURCE: urls.rs,
  }),
}
/**
 * The same without auth, whose whoami calls the Tasks API with a token it holds (decision 0070):
 * started once that token is held (rows/mcp-rows.ts), with PEER_DOWNSTREAM_TOKEN added.
 */
const peerMcpDownstream = {
  url: `${originAt(14)}/mcp`,
  spec: peer(14, 'peer-mcp-downstream', 'mcp-sdk-server.ts', '/ready', {
    PEER_BEARER: 'false',
    PEER_DOWNSTREAM_URL: urls.tasksApi,
  }),
}

// ---- base+20 … base+22: ours on Redis, where redis-server is installed (Redis itself on free ports) --

/**
 * Decision 0040: two more authorization servers with REDIS_URL on one redis-server, with the demo
 * issuer and one set of signing keys (AS_SIGNING_KEYS) between them: the redemption with its replay
 * check on Redis, on one instance and alternately on both. REDIS_URL and AS_SIGNING_KEYS are added
 * when they start.
 */
function asOnRedis(offset: number, name: string): { tokenUrl: string; spec: Spec } {
  return {
    tokenUrl: `${originAt(offset)}/token`,
    spec: {
      name,
      cwd: appFolder('authorization-server'),
      port: portAt(offset),
      readyUrl: `${originAt(offset)}/readyz`,
      ...cpuPinning.serverSpec,
      env: { AS_PORT: String(portAt(offset)), LOG_LEVEL: 'error' },
    },
  }
}
const asRedis = [asOnRedis(20, 'as-redis-1'), asOnRedis(21, 'as-redis-2')] as const

/**
 * Decision 0080: an IdP with REDIS_URL, on a redis-server of its own (so that its commands are counted
 * apart): before every exchange it reads the policy's revision (one HGET), and it appends each
 * decision to the shared audit trail (one XADD, not awaited by the exchange). REDIS_URL is added when
 * it starts.
 */
const IDP_REDIS_KEY_PREFIX = 'ema-bench:idp'
const idpRedis = {
  url: originAt(22),
  keyPrefix: IDP_REDIS_KEY_PREFIX,
  spec: {
    name: 'idp-redis',
    cwd: appFolder('idp'),
    port: portAt(22),
    readyUrl: `${originAt(22)}/readyz`,
    ...cpuPinning.serverSpec,
    env: {
      REDIS_KEY_PREFIX: IDP_REDIS_KEY_PREFIX,
      IDP_ISSUER: originAt(22),
      IDP_PORT: String(portAt(22)),
      LOG_LEVEL: 'error',
    },
  } satisfies Spec,
}

export const topology = {
  urls,
  /**
   * The roles' environment: the demo world (docs/demo-world.md) at `urls`, LOG_LEVEL=warn, and
   * TOKEN_RATE_LIMIT_PER_MINUTE=0 (both servers' per-client limit, 600/min by default, would refuse
   * most of the load).
   */
  env: demoWorldEnv(process.env, urls, { TOKEN_RATE_LIMIT_PER_MINUTE: '0' }),
  roles,
  mcpCold,
  mcpIntrospect,
  mcpIntrospectEvery,
  idpInfo,
  mcpVerifyEvery,
  peerJwtBearer,
  peerClientCredentials,
  peerMcp,
  peerMcpBearer,
  peerMcpDownstream,
  asRedis,
  idpRedis,
  /** Our processes besides the roles, started after them with the demo world's environment. */
  ours: [mcpCold.spec, mcpIntrospect.spec, mcpIntrospectEvery.spec, idpInfo.spec, mcpVerifyEvery.spec],
  /** The peers started with them (peer-mcp-downstream comes later), with this process's environment. */
  peers: [peerJwtBearer.spec, peerClientCredentials.spec, peerMcp.spec, peerMcpBearer.spec],
} as const
