import fc from 'fast-check'

/** Builds a token; a mutation of a segment that is not JSON throws while re-encoding, and such cases send a broken token. */
export function safely(make: () => string): string {
  try {
    return make()
  } catch {
    return 'x.y.z'
  }
}

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')

/** A value of any JSON type, and a few shapes the verifiers must not trip over. */
export const anyClaimValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string(),
  fc.constantFrom('', ' ', 'none', '\u0000', 'a'.repeat(5000), '__proto__', 'constructor'),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.double(),
)

export type Mutation = { kind: string; apply: (jwt: string) => string }

/** A mutation of a compact JWS: bytes flipped, inserted or deleted, segments swapped, dropped or re-encoded. */
export const jwtMutation = (headerNames: string[], claimNames: string[]): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ segment: fc.nat(2), at: fc.nat(), bit: fc.nat(5) }).map(({ segment, at, bit }) => ({
      kind: 'flip',
      apply: (jwt: string) =>
        editSegment(jwt, segment, (s) => {
          if (s.length === 0) return 'A'
          const i = at % s.length
          const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
          const c = alphabet[(alphabet.indexOf(s[i]!) ^ (1 << bit)) & 63]!
          return s.slice(0, i) + c + s.slice(i + 1)
        }),
    })),
    fc
      .record({ segment: fc.nat(2), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 4 }) })
      .map(({ segment, at, text }) => ({
        kind: 'insert',
        apply: (jwt: string) =>
          editSegment(jwt, segment, (s) => {
            const i = at % (s.length + 1)
            return s.slice(0, i) + text + s.slice(i)
          }),
      })),
    fc
      .record({ segment: fc.nat(2), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) })
      .map(({ segment, at, count }) => ({
        kind: 'delete',
        apply: (jwt: string) =>
          editSegment(jwt, segment, (s) => {
            const i = at % (s.length + 1)
            return s.slice(0, i) + s.slice(i + count)
          }),
      })),
    fc.constantFrom<Mutation>(
      {
        kind: 'swap header/payload',
        apply: (jwt) => {
          const [h, p, s] = jwt.split('.')
          return `${p}.${h}.${s}`
        },
      },
      { kind: 'drop signature', apply: (jwt) => jwt.split('.').slice(0, 2).join('.') + '.' },
      { kind: 'two segments', apply: (jwt) => jwt.split('.').slice(0, 2).join('.') },
      { kind: 'four segments', apply: (jwt) => `${jwt}.${jwt.split('.')[2]}` },
      {
        kind: 'alg none',
        apply: (jwt) =>
          reencode(jwt, 0, (h) => ({ ...h, alg: 'none' }))
            .split('.')
            .slice(0, 2)
            .join('.') + '.',
      },
    ),
    fc
      .record({ name: fc.oneof(fc.constantFrom(...headerNames), fc.string()), value: anyClaimValue })
      .map(({ name, value }) => ({
        kind: `header ${name}`,
        apply: (jwt: string) => reencode(jwt, 0, (h) => ({ ...h, [name]: value })),
      })),
    fc
      .record({ name: fc.oneof(fc.constantFrom(...claimNames), fc.string()), value: anyClaimValue })
      .map(({ name, value }) => ({
        kind: `claim ${name}`,
        apply: (jwt: string) => reencode(jwt, 1, (p) => ({ ...p, [name]: value })),
      })),
    fc.record({ name: fc.constantFrom(...claimNames) }).map(({ name }) => ({
      kind: `remove ${name}`,
      apply: (jwt: string) =>
        reencode(jwt, 1, (p) => {
          const { [name]: _removed, ...rest } = p
          return rest
        }),
    })),
    fc
      .oneof(
        fc.string(),
        fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
      )
      .map((text) => ({
        kind: 'payload replaced',
        apply: (jwt: string) => editSegment(jwt, 1, () => b64(text)),
      })),
  )

export function editSegment(jwt: string, index: number, edit: (segment: string) => string): string {
  const segments = jwt.split('.')
  segments[index] = edit(segments[index] ?? '')
  return segments.join('.')
}

/** Decodes one segment as a JSON object, edits it and re-encodes it (the signature is left as is). */
export function reencode(
  jwt: string,
  index: 0 | 1,
  edit: (value: Record<string, unknown>) => Record<string, unknown>,
): string {
  return editSegment(jwt, index, (s) =>
    b64(JSON.stringify(edit(JSON.parse(Buffer.from(s, 'base64url').toString()) as Record<string, unknown>))),
  )
}

/**
 * Same decoded bytes in every segment, all in the base64url alphabet: a different spelling of the
 * same token (e.g. the unused low bits of a segment's last character). Such a token may be accepted.
 */
export function sameBytes(original: string, mutated: string): boolean {
  const a = original.split('.')
  const b = mutated.split('.')
  return (
    a.length === b.length &&
    b.every((s, i) => /^[A-Za-z0-9_-]*$/.test(s) && Buffer.from(s, 'base64url').equals(Buffer.from(a[i]!, 'base64url')))
  )
}
