import { openSession } from './mcp.ts'
import { accounts } from './requests/accounts.ts'
import { refused, whoami } from './requests/mcp-requests.ts'
import { signInAlice } from './requests/sign-in-alice.ts'
import { clientCredentialsAtPeer, exchange, redeem, redeemAtPeer } from './requests/token-endpoint-requests.ts'
import type { RedisServers } from './start-topology.ts'
import { topology } from './topology.ts'

/** alice's ID tokens, each from the IdP whose exchange rows use it. */
export interface HeldIdTokens {
  /** From the IdP ("idp"). */
  idToken: string
  /** From the IdP at LOG_LEVEL=info ("idp-info"). */
  idTokenInfo: string
  /** From the Redis-backed IdP ("idp-redis"), where it runs. */
  idTokenAtRedisIdp?: string
}

/**
 * One of each, unmeasured: fail fast with a clear message, and let the AS fetch the IdP's keys and
 * the MCP server the AS's keys (both cache them) before anything is timed. alice signs in at each
 * IdP; her ID tokens are returned for the rows.
 */
export async function warmChecks(redis: RedisServers): Promise<HeldIdTokens> {
  const { urls, idpInfo, idpRedis } = topology
  const { id_token: idToken } = await signInAlice(urls.idp)
  // alice at the second IdP (LOG_LEVEL=info), for the logging A/B row.
  const { id_token: idTokenInfo } = await signInAlice(idpInfo.url)
  await exchange(idTokenInfo, `${idpInfo.url}/token`)
  const firstToken = await redeem(await exchange(idToken))
  await whoami(firstToken, await openSession(urls.rs, firstToken))
  await refused()
  for (const { tokenUrl } of redis.as === undefined ? [] : topology.asRedis)
    await redeem(await exchange(idToken), tokenUrl)
  const idTokenAtRedisIdp = redis.idp === undefined ? undefined : (await signInAlice(idpRedis.url)).id_token
  if (idTokenAtRedisIdp !== undefined) await exchange(idTokenAtRedisIdp, `${idpRedis.url}/token`)
  await redeemAtPeer(await exchange(idToken))
  await clientCredentialsAtPeer()
  console.log(
    `signed in as ${accounts.user.username}; exchange, redemption, whoami and each peer answered once. Measuring:`,
  )
  return { idToken, idTokenInfo, idTokenAtRedisIdp }
}
