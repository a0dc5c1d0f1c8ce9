/**
 * The statuses of a role's `GET /healthz` (alive) and `GET /readyz` (ready for traffic) at `origin`,
 * 0 for no answer within 2 s: e.g. `{ healthz: 200, readyz: 503 }` while its Redis is down.
 */
export async function probeHealth(origin: string): Promise<{ healthz: number; readyz: number }> {
  const status = (path: string) =>
    fetch(`${origin}${path}`, { signal: AbortSignal.timeout(2000) }).then(
      async (response) => {
        await response.arrayBuffer()
        return response.status
      },
      () => 0,
    )
  return { healthz: await status('/healthz'), readyz: await status('/readyz') }
}
