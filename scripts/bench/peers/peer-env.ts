/** The named environment variables of a benchmark peer; a missing one stops it with one line. */
export function peerEnv<const Name extends string>(names: readonly Name[]): Record<Name, string> {
  const out = {} as Record<Name, string>
  for (const name of names) {
    const value = process.env[name]
    if (value === undefined || value === '') {
      console.error(`benchmark peer: ${name} is not set`)
      process.exit(2)
    }
    out[name] = value
  }
  return out
}
