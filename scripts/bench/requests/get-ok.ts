/** GET that must answer 200 (a metadata document: the baseline rows). */
export async function getOk(url: string): Promise<void> {
  const response = await fetch(url)
  await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status}`)
}
