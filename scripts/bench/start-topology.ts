import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureDeploymentKeys, hasRedisServer, PortInUseError, type RunningRedisServer } from '@ema/demo-kit'
import { processes } from './processes.ts'
import { topology } from './topology.ts'

/** The redis-servers behind the Redis rows; both undefined where redis-server is not installed. */
export interface RedisServers {
  /** The one the two AS instances share (decision 0040). */
  as?: RunningRedisServer
  /** The Redis-backed IdP's own (decision 0080). */
  idp?: RunningRedisServer
}

/**
 * Starts every process of the topology but peer-mcp-downstream, one after the other, each ready
 * before the next: the demo world's roles, ours on Redis (where redis-server is installed), more of
 * ours, the peers. Refuses to start if one of the roles' ports already answers.
 */
export async function startTopology(): Promise<RedisServers> {
  await processes.start(topology.roles, topology.env).catch((error: unknown) => {
    // Otherwise another server on the port would answer the ready check while ours dies of EADDRINUSE.
    if (error instanceof PortInUseError)
      throw new Error(`${error.message}; set BENCH_BASE_PORT to move the benchmark's ports`)
    throw error
  })

  const redis: RedisServers = {}
  // Decision 0040: two more AS instances sharing one Redis and one set of signing keys.
  if (hasRedisServer()) {
    redis.as = await processes.startRedis()
    const keysFolder = mkdtempSync(join(tmpdir(), 'ema-bench-keys-'))
    const { AS_SIGNING_KEYS } = ensureDeploymentKeys(join(keysFolder, 'keys.json')).env
    rmSync(keysFolder, { recursive: true, force: true })
    for (const { spec } of topology.asRedis)
      await processes.start([spec], { ...topology.env, REDIS_URL: redis.as.url, AS_SIGNING_KEYS })
  }
  // Decision 0080: an IdP whose policy and audit trail are on a Redis of its own.
  if (hasRedisServer()) {
    redis.idp = await processes.startRedis()
    await processes.start([topology.idpRedis.spec], { ...topology.env, REDIS_URL: redis.idp.url })
  }

  for (const spec of topology.ours) await processes.start([spec], { ...topology.env, LOG_LEVEL: 'warn' })
  for (const spec of topology.peers) await processes.start([spec], { ...process.env, LOG_LEVEL: 'warn' })
  return redis
}
