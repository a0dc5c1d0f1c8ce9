import { protectedResourceMetadataUrl } from '@ema/demo-kit'
import { openSession, ping, type McpSession } from '../mcp.ts'
import { processes } from '../processes.ts'
import { accounts } from '../requests/accounts.ts'
import { getOk } from '../requests/get-ok.ts'
import { peerWhoami, refused, whoami } from '../requests/mcp-requests.ts'
import { exchange, exchangeForTasksApi, redeem } from '../requests/token-endpoint-requests.ts'
import type { RowSpec } from '../row.ts'
import { settings } from '../settings.ts'
import { topology } from '../topology.ts'
import { ROW } from './row-names.ts'

/** One session per worker at an MCP endpoint. */
function openSessions(endpoint: string, accessToken: string | undefined): Promise<McpSession[]> {
  return Promise.all(Array.from({ length: settings.concurrency }, () => openSession(endpoint, accessToken)))
}

/**
 * The MCP rows, ours and the peers', in one group so that they all take turns: one session per
 * worker at every server, all with one fresh access token (it lives 600 s). Starts
 * peer-mcp-downstream, which needs a token for the Tasks API.
 */
export async function mcpRows(idToken: string): Promise<RowSpec[]> {
  const { urls, mcpCold, mcpIntrospect, mcpIntrospectEvery, mcpVerifyEvery, peerMcp, peerMcpBearer } = topology
  const accessToken = await redeem(await exchange(idToken))
  const sessions = await openSessions(urls.rs, accessToken)
  const coldSessions = await openSessions(mcpCold.url, accessToken)
  const introspectSessions = await openSessions(mcpIntrospect.url, accessToken)
  const introspectEverySessions = await openSessions(mcpIntrospectEvery.url, accessToken)
  const verifyEverySessions = await openSessions(mcpVerifyEvery.url, accessToken)
  const peerSessions = await openSessions(peerMcp.url, accessToken)
  const peerBearerSessions = await openSessions(peerMcpBearer.url, accessToken)
  // The downstream peer: an SDK server whose whoami calls the Tasks API with a token it holds, the one
  // our MCP server's on-behalf-of exchange gives for this user (exchanged here once, lives 600 s).
  const downstream = topology.peerMcpDownstream
  const downstreamToken = await exchangeForTasksApi(accessToken)
  await processes.start(
    [{ ...downstream.spec, env: { ...downstream.spec.env, PEER_DOWNSTREAM_TOKEN: downstreamToken } }],
    {
      ...process.env,
      LOG_LEVEL: 'warn',
    },
  )
  const peerDownstreamSessions = await openSessions(downstream.url, undefined)
  const alice = accounts.user.localSub
  return [
    {
      name: ROW.protectedResourceMetadata,
      serving: ['mcp'],
      isBaseline: true,
      operation: () => getOk(protectedResourceMetadataUrl(urls.rs)),
    },
    {
      name: ROW.whoami,
      serving: ['mcp', 'tasks-api'],
      baseline: ROW.protectedResourceMetadata,
      operation: (worker) => whoami(accessToken, sessions[worker]!),
    },
    {
      // Little's law: at BENCH_CONCURRENCY the latency above is mostly the queue on the one server
      // core; one call at a time shows what a call itself takes (its CPU, both hops, no Nagle waits).
      name: ROW.whoamiOne,
      serving: ['mcp', 'tasks-api'],
      concurrency: 1,
      operation: () => whoami(accessToken, sessions[0]!),
    },
    {
      name: ROW.peerMcpDownstream,
      serving: [downstream.spec.name, 'tasks-api'],
      operation: (worker) => peerWhoami(downstream.url, accessToken, peerDownstreamSessions[worker]!, alice),
    },
    {
      name: ROW.whoamiCold,
      serving: [mcpCold.spec.name, 'as', 'tasks-api'],
      operation: (worker) => whoami(accessToken, coldSessions[worker]!, mcpCold.url),
    },
    {
      name: ROW.whoamiIntrospect,
      serving: [mcpIntrospect.spec.name, 'as', 'tasks-api'],
      operation: (worker) => whoami(accessToken, introspectSessions[worker]!, mcpIntrospect.url),
    },
    {
      name: ROW.whoamiIntrospectEvery,
      serving: [mcpIntrospectEvery.spec.name, 'as', 'tasks-api'],
      operation: (worker) => whoami(accessToken, introspectEverySessions[worker]!, mcpIntrospectEvery.url),
    },
    {
      name: ROW.peerMcpBearer,
      serving: [peerMcpBearer.spec.name],
      operation: (worker) => peerWhoami(peerMcpBearer.url, accessToken, peerBearerSessions[worker]!, alice),
    },
    {
      name: ROW.peerMcp,
      serving: [peerMcp.spec.name],
      operation: (worker) => peerWhoami(peerMcp.url, accessToken, peerSessions[worker]!, 'anonymous'),
    },
    {
      name: ROW.ping,
      serving: ['mcp'],
      baseline: ROW.protectedResourceMetadata,
      operation: (worker) => ping(urls.rs, accessToken, sessions[worker]!),
    },
    {
      name: ROW.pingVerifyEvery,
      serving: [mcpVerifyEvery.spec.name],
      operation: (worker) => ping(mcpVerifyEvery.url, accessToken, verifyEverySessions[worker]!),
    },
    {
      name: ROW.peerMcpPing,
      serving: [peerMcp.spec.name],
      operation: (worker) => ping(peerMcp.url, accessToken, peerSessions[worker]!),
    },
    {
      name: ROW.peerMcpBearerPing,
      serving: [peerMcpBearer.spec.name],
      operation: (worker) => ping(peerMcpBearer.url, accessToken, peerBearerSessions[worker]!),
    },
    { name: ROW.refused, serving: ['mcp'], baseline: ROW.protectedResourceMetadata, operation: () => refused() },
  ]
}
