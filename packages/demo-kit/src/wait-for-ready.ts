/**
 * Polls `url` (a role's `/readyz`) until it answers 200; rejects, naming the URL, when `timeoutMs`
 * pass first. For a test or a script that waits for a role to recover (e.g. after its Redis is back).
 */
export async function waitForReady(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      async (response) => {
        await response.arrayBuffer()
        return response.status
      },
      () => 0,
    )
    if (status === 200) return
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${status})`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
