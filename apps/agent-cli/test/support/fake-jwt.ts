/** A structurally valid (unsigned) JWT for tests: the agent never verifies these. */
export function fakeJwt(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part(header)}.${part(claims)}.c2lnbmF0dXJl`
}
