import type { AttackTarget } from './attack-target.ts'
import type { JwtForge } from './jwt-forge.ts'

/**
 * The families of the catalogue. Each endpoint maps every family to the requirement it proves there
 * (the `ids` map of each test file: `alg` proves one requirement for an ID-JAG, another for an access token) and replays
 * one attack per family; packages/tokens replays them all against each verifier.
 */
export const JWT_ATTACK_FAMILIES = [
  'alg',
  'kid',
  'signature',
  'key-headers',
  'crit',
  'shape',
  'size',
  'nesting',
  'duplicates',
  'claim-types',
  'exp',
  'iat',
  'nbf',
  'lifetime',
  'iss',
  'typ',
] as const
export type JwtAttackFamily = (typeof JWT_ATTACK_FAMILIES)[number]

/**
 * The requirement each family proves at one verifier or endpoint: one ID for every family, or one per
 * family. scripts/spec-map.ts reads either form (`ids: 'IDP-05'`, `ids: { alg: 'AS-14', … }`) as a test per family.
 */
export type JwtAttackIds = string | Record<JwtAttackFamily, string>

/** The ID a family's tests are titled with. */
export function jwtAttackId(ids: JwtAttackIds, family: JwtAttackFamily): string {
  return typeof ids === 'string' ? ids : ids[family]
}

/** One attack: what it is, how to build it from the genuine token, and the refusal it must meet. */
export interface JwtAttack {
  family: JwtAttackFamily
  /** Completes the test title `<IDs> refuses <attack>`. */
  attack: string
  build(forge: JwtForge): Promise<string> | string
  /** The exact `error_description` of the refusal. */
  refusal(target: AttackTarget): string
  /** Only for kinds of JWT where the attack is an attack (a `typ` that is not the expected one). */
  appliesTo?(kind: JwtKind): boolean
}

/** A token just inside a limit: every verifier must accept it, which pins each refused edge to the second. */
export interface JwtBoundary {
  family: JwtAttackFamily
  /** Completes the test title `<IDs> accepts <boundary>`. */
  boundary: string
  claims(target: AttackTarget): Record<string, unknown>
}

/** What decides, at test registration, which attacks apply to a kind of JWT. */
export type JwtKind = Pick<AttackTarget, 'typ' | 'typMayBeAbsent'>

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')
const json = (value: unknown) => b64(JSON.stringify(value))
const iso = (seconds: number) => new Date(seconds * 1000).toISOString()
const OTHER_ISSUER = 'http://localhost:1/other-issuer'

const notCompact = (t: AttackTarget) => `the ${t.label} is not a compact signed JWT`
const malformed = (t: AttackTarget) => `the ${t.label} is not a well-formed JWT`
const notBase64url = (t: AttackTarget) => `the ${t.label} has a character outside the base64url alphabet`
const badAlg = (alg: string) => (t: AttackTarget) =>
  `the ${t.label} is signed with ${alg}, which is not an allowed algorithm`
const noKey = (t: AttackTarget) => `no key of the ${t.label} issuer matches its "kid"`
const badSignature = (t: AttackTarget) => `the ${t.label} signature does not verify with the issuer's keys`
const unverifiable = (t: AttackTarget) => `the ${t.label} could not be verified`
const selfDeclared = (name: string) => (t: AttackTarget) =>
  `the ${t.label} carries a "${name}" header; keys come only from the issuer's published JWKS`
const nested = (t: AttackTarget) => `the ${t.label} declares content type "JWT"; nested JWTs are not accepted`
const repeats = (where: 'header' | 'claims set', name: string) => (t: AttackTarget) =>
  `the ${t.label} ${where} repeats the member "${name}"`
const badTyp = (shown: string) => (t: AttackTarget) => `the ${t.label} has typ ${shown}; expected "${t.typ}"`
const invalidClaim = (claim: string, reason: string) => (t: AttackTarget) =>
  `the ${t.label} claim "${claim}" is invalid: ${reason}`
const untrusted = (iss: string) => (t: AttackTarget) => `the ${t.label} issuer "${iss}" is not trusted`
const noIss = (t: AttackTarget) => `the ${t.label} has no "iss" claim`
const lives = (seconds: (t: AttackTarget) => number) => (t: AttackTarget) =>
  `the ${t.label} lives ${seconds(t)} s; at most ${t.maxLifetimeSeconds} s is accepted`

/** A good token with one dot-separated part replaced. */
async function withPart(f: JwtForge, index: 0 | 1 | 2, part: string): Promise<string> {
  const parts = (await f.sign()).split('.')
  parts[index] = part
  return parts.join('.')
}
/** The genuine signature and payload under another header. */
async function relabelled(f: JwtForge, header: Record<string, unknown>): Promise<string> {
  const [, payload, signature] = (await f.sign()).split('.')
  return `${json(header)}.${payload}.${signature}`
}
/** The genuine claims as JSON text with `member` written first, so that the genuine value follows it. */
const claimsWithFirst = (f: JwtForge, member: string) => `{${member},${JSON.stringify(f.target.claims()).slice(1)}`
const normalisedTyp = (typ: string) => typ.toLowerCase().replace(/^application\//, '')
const isNot = (typ: string) => (kind: JwtKind) => normalisedTyp(typ) !== normalisedTyp(kind.typ)

/**
 * The RFC 8725 and JWT-library CVE catalogue: every rule `verifyJwtStrictly` enforces, as attacks on
 * a genuine token. A new attack is added here, and only here.
 */
export const JWT_ATTACKS: readonly JwtAttack[] = [
  // RFC 8725 §3.1, CVE-2015-9235 (the first row of a family is the one each endpoint replays)
  {
    family: 'alg',
    attack: 'alg "none" keeping the issuer\'s real signature',
    build: (f) => relabelled(f, f.header({ alg: 'none' })),
    refusal: badAlg('"none"'),
  },
  ...['none', 'None', 'NONE', 'nOnE'].flatMap((alg): JwtAttack[] => [
    {
      family: 'alg',
      attack: `alg "${alg}" with an empty signature`,
      build: (f) => `${json(f.header({ alg }))}.${json(f.target.claims())}.`,
      refusal: notCompact,
    },
    {
      family: 'alg',
      attack: `alg "${alg}" with a garbage signature`,
      build: (f) => `${json(f.header({ alg }))}.${json(f.target.claims())}.${b64('sig')}`,
      refusal: badAlg(`"${alg}"`),
    },
  ]),
  {
    family: 'alg',
    attack: 'a header with no alg at all',
    build: (f) => f.sign({ header: { alg: undefined } }),
    refusal: badAlg('(none)'),
  },
  {
    family: 'alg',
    attack: 'alg given as a number',
    build: (f) => `${json(f.header({ alg: 256 }))}.${json(f.target.claims())}.${b64('sig')}`,
    refusal: badAlg('"256"'),
  },
  // RFC 8725 §2.1, CVE-2016-10555
  ...(['HS256', 'HS384', 'HS512'] as const).flatMap((alg): JwtAttack[] => [
    {
      family: 'alg',
      attack: `${alg} with the issuer's public key (PEM) as the secret`,
      build: (f) => f.hmac(alg, f.publicPem()),
      refusal: badAlg(`"${alg}"`),
    },
    {
      family: 'alg',
      attack: `${alg} with the issuer's public JWK (JSON) as the secret`,
      build: (f) => f.hmac(alg, JSON.stringify(f.target.key.publicJwk)),
      refusal: badAlg(`"${alg}"`),
    },
  ]),
  {
    family: 'alg',
    attack: 'an ES256 token relabelled ES384 (algorithm substitution)',
    build: (f) => relabelled(f, f.header({ alg: 'ES384' })),
    refusal: noKey,
  },
  {
    family: 'alg',
    attack: 'an ES256 token relabelled ES512',
    build: (f) => relabelled(f, f.header({ alg: 'ES512' })),
    refusal: noKey,
  },

  { family: 'kid', attack: 'an unknown kid', build: (f) => f.sign({ header: { kid: 'no-such-key' } }), refusal: noKey },
  {
    family: 'kid',
    attack: 'a path-traversal kid ("../../../../dev/null")',
    build: (f) => f.sign({ header: { kid: '../../../../dev/null' } }),
    refusal: noKey,
  },
  {
    family: 'kid',
    attack: 'a SQL-looking kid ("\' OR 1=1 --")',
    build: (f) => f.sign({ header: { kid: "' OR 1=1 --" } }),
    refusal: noKey,
  },
  {
    family: 'kid',
    attack: 'a kid that is a URL',
    build: (f) => f.sign({ header: { kid: 'https://attacker.example/jwks.json' } }),
    refusal: noKey,
  },
  { family: 'kid', attack: 'an empty kid', build: (f) => f.sign({ header: { kid: '' } }), refusal: noKey },
  { family: 'kid', attack: 'a kid that is a number', build: (f) => f.sign({ header: { kid: 42 } }), refusal: noKey },

  {
    family: 'signature',
    attack: "the issuer's kid on a token signed by an attacker key",
    build: (f) => f.sign({ key: f.target.attackerKey }),
    refusal: badSignature,
  },
  {
    family: 'signature',
    attack: 'a payload altered after signing',
    build: async (f) => withPart(f, 1, json({ ...f.target.claims(), sub: 'admin' })),
    refusal: badSignature,
  },

  // RFC 8725 §3.10, CVE-2018-0114
  {
    family: 'key-headers',
    attack: 'a "jku" header pointing at an attacker JWKS',
    build: (f) =>
      f.sign({
        key: f.target.attackerKey,
        header: { kid: f.target.attackerKey.kid, jku: 'https://attacker.example/jwks.json' },
      }),
    refusal: selfDeclared('jku'),
  },
  {
    family: 'key-headers',
    attack: 'a "x5u" header pointing at an attacker certificate',
    build: (f) => f.sign({ key: f.target.attackerKey, header: { x5u: 'https://attacker.example/cert.pem' } }),
    refusal: selfDeclared('x5u'),
  },
  {
    family: 'key-headers',
    attack: 'an embedded "jwk" header with the attacker key that signed it',
    build: (f) =>
      f.sign({
        key: f.target.attackerKey,
        header: { kid: f.target.attackerKey.kid, jwk: f.target.attackerKey.publicJwk },
      }),
    refusal: selfDeclared('jwk'),
  },
  {
    family: 'key-headers',
    attack: 'an embedded "jwk" header with the genuine issuer key',
    build: (f) => f.sign({ header: { jwk: f.target.key.publicJwk } }),
    refusal: selfDeclared('jwk'),
  },
  {
    family: 'key-headers',
    attack: 'an "x5c" header with a self-made chain',
    build: (f) => f.sign({ key: f.target.attackerKey, header: { x5c: [b64('not-a-certificate')] } }),
    refusal: selfDeclared('x5c'),
  },

  // RFC 7515 §4.1.11
  {
    family: 'crit',
    attack: 'crit naming an unknown extension that is present',
    build: (f) => f.sign({ header: { crit: ['urn:attacker:ext'], 'urn:attacker:ext': true } }),
    refusal: unverifiable,
  },
  {
    family: 'crit',
    attack: 'crit naming an extension that is absent',
    build: (f) => f.sign({ header: { crit: ['urn:attacker:ext'] } }),
    refusal: unverifiable,
  },
  {
    family: 'crit',
    attack: 'an empty crit array',
    build: (f) => f.sign({ header: { crit: [] } }),
    refusal: unverifiable,
  },
  {
    family: 'crit',
    attack: 'crit that is a string, not an array',
    build: (f) => f.sign({ header: { crit: 'exp', exp: f.target.now + 300 } }),
    refusal: unverifiable,
  },
  {
    family: 'crit',
    attack: 'crit naming "b64" with an unencoded payload',
    build: (f) => f.sign({ header: { crit: ['b64'], b64: false } }),
    refusal: unverifiable,
  },
  {
    family: 'crit',
    attack: 'crit naming a registered header ("alg")',
    build: (f) => f.sign({ header: { crit: ['alg'] } }),
    refusal: unverifiable,
  },

  {
    family: 'shape',
    attack: 'a 1-part token',
    build: async (f) => (await f.sign()).split('.')[0] ?? '',
    refusal: notCompact,
  },
  {
    family: 'shape',
    attack: 'a 2-part token (header.payload)',
    build: async (f) => (await f.sign()).split('.').slice(0, 2).join('.'),
    refusal: notCompact,
  },
  {
    family: 'shape',
    attack: 'a 4-part token',
    build: async (f) => `${await f.sign()}.${b64('extra')}`,
    refusal: notCompact,
  },
  { family: 'shape', attack: 'three empty parts ("..")', build: () => '..', refusal: notCompact },
  { family: 'shape', attack: 'whitespace only', build: () => '   ', refusal: notCompact },
  { family: 'shape', attack: 'an empty header part', build: (f) => withPart(f, 0, ''), refusal: notCompact },
  { family: 'shape', attack: 'an empty payload part', build: (f) => withPart(f, 1, ''), refusal: notCompact },
  {
    family: 'shape',
    attack: 'a header that is not base64url',
    build: (f) => withPart(f, 0, '!!!*&^%'),
    refusal: notBase64url,
  },
  {
    family: 'shape',
    attack: 'a header in standard base64 ("+" and "/")',
    build: (f) => withPart(f, 0, '++//++//'),
    refusal: notBase64url,
  },
  {
    family: 'shape',
    attack: 'a payload that is not base64url',
    build: (f) => withPart(f, 1, '@@@ not base64 @@@'),
    refusal: notBase64url,
  },
  {
    family: 'shape',
    attack: 'a signature that is not base64url',
    build: (f) => withPart(f, 2, '***'),
    refusal: notBase64url,
  },
  {
    family: 'shape',
    attack: 'a space inside the genuine signature (a lenient decoder skips it)',
    build: async (f) => {
      const [h, p, sig] = (await f.sign()).split('.')
      return `${h}.${p}. ${sig}`
    },
    refusal: notBase64url,
  },
  {
    family: 'shape',
    attack: 'a line break inside the genuine payload',
    build: async (f) => {
      const [h, p, sig] = (await f.sign()).split('.')
      return `${h}.${p!.slice(0, 8)}\n${p!.slice(8)}.${sig}`
    },
    refusal: notBase64url,
  },
  {
    family: 'shape',
    attack: 'base64 padding after the genuine signature',
    build: async (f) => `${await f.sign()}==`,
    refusal: notBase64url,
  },
  {
    family: 'shape',
    attack: 'a header that is not JSON',
    build: (f) => withPart(f, 0, b64('alg=ES256')),
    refusal: malformed,
  },
  {
    family: 'shape',
    attack: 'a header that is a JSON array, signed by the issuer',
    build: (f) => f.signRaw(JSON.stringify([f.header()]), JSON.stringify(f.target.claims())),
    refusal: malformed,
  },
  {
    family: 'shape',
    attack: 'a payload that is not JSON, signed by the issuer',
    build: (f) => f.signRaw(JSON.stringify(f.header()), 'iss=idp&sub=u-1001'),
    refusal: malformed,
  },
  {
    family: 'shape',
    attack: 'a payload that is a JSON array, signed by the issuer',
    build: (f) => f.signRaw(JSON.stringify(f.header()), JSON.stringify([f.target.claims()])),
    refusal: malformed,
  },
  {
    family: 'shape',
    attack: 'a payload that is a JSON string, signed by the issuer',
    build: (f) => f.signRaw(JSON.stringify(f.header()), JSON.stringify('u-1001')),
    refusal: malformed,
  },
  {
    family: 'shape',
    attack: 'a payload that is JSON null, signed by the issuer',
    build: (f) => f.signRaw(JSON.stringify(f.header()), 'null'),
    refusal: malformed,
  },

  {
    family: 'size',
    attack: 'a token one claim over the length limit',
    build: (f) => f.sign({ claims: { pad: 'x'.repeat(f.target.maxLength) } }),
    refusal: (t) => `the ${t.label} is longer than ${t.maxLength} characters`,
  },

  // RFC 7519 §7.2
  {
    family: 'nesting',
    attack: 'a 5-part JWE with cty JWT',
    build: (f) =>
      `${json({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', typ: f.target.typ })}.${b64('k')}.${b64('iv')}.${b64('ct')}.${b64('tag')}`,
    refusal: (t) => `the ${t.label} is encrypted (JWE); only signed JWTs are accepted`,
  },
  {
    family: 'nesting',
    attack: 'a 5-part JWE with "dir" and an empty key part',
    build: (f) => `${json({ alg: 'dir', enc: 'A128GCM', typ: f.target.typ })}..${b64('iv')}.${b64('ct')}.${b64('tag')}`,
    refusal: (t) => `the ${t.label} is encrypted (JWE); only signed JWTs are accepted`,
  },
  {
    family: 'nesting',
    attack: 'a nested JWS (cty JWT) whose payload is a genuine token',
    build: async (f) => f.signRaw(JSON.stringify(f.header({ cty: 'JWT' })), await f.sign()),
    refusal: malformed,
  },
  {
    family: 'nesting',
    attack: 'a JWS declaring cty JWT around a plain claims set',
    build: (f) => f.sign({ header: { cty: 'JWT' } }),
    refusal: nested,
  },

  // RFC 7519 §4, RFC 7515 §4
  {
    family: 'duplicates',
    attack: 'a duplicated "aud" claim (another audience first, the genuine one last)',
    build: (f) => f.signRaw(JSON.stringify(f.header()), claimsWithFirst(f, '"aud":"http://localhost:1/other"')),
    refusal: repeats('claims set', 'aud'),
  },
  {
    family: 'duplicates',
    attack: 'a duplicated "sub" claim',
    build: (f) => f.signRaw(JSON.stringify(f.header()), claimsWithFirst(f, '"sub":"u-admin"')),
    refusal: repeats('claims set', 'sub'),
  },
  {
    family: 'duplicates',
    attack: 'a duplicated "scope" claim (narrow first, wide last)',
    build: (f) =>
      f.signRaw(
        JSON.stringify(f.header()),
        `${JSON.stringify({ scope: 'a' }).slice(0, -1)},${JSON.stringify({ ...f.target.claims(), scope: 'a b' }).slice(1)}`,
      ),
    refusal: repeats('claims set', 'scope'),
  },
  {
    family: 'duplicates',
    attack: 'a duplicated "scope" claim written with a unicode escape',
    build: (f) =>
      f.signRaw(
        JSON.stringify(f.header()),
        `{"sc\\u006fpe":"tasks.write",${JSON.stringify({ ...f.target.claims(), scope: 'tasks.read' }).slice(1)}`,
      ),
    refusal: repeats('claims set', 'scope'),
  },
  {
    family: 'duplicates',
    attack: 'a duplicated "typ" header parameter',
    build: (f) =>
      f.signRaw(
        `{"typ":"JWT",${JSON.stringify(f.header({ typ: f.target.typ })).slice(1)}`,
        JSON.stringify(f.target.claims()),
      ),
    refusal: repeats('header', 'typ'),
  },
  {
    family: 'duplicates',
    attack: 'a duplicated "alg" header parameter',
    build: (f) => f.signRaw(`{"alg":"none",${JSON.stringify(f.header()).slice(1)}`, JSON.stringify(f.target.claims())),
    refusal: repeats('header', 'alg'),
  },

  // RFC 7519 §4.1
  {
    family: 'claim-types',
    attack: 'a string exp',
    build: (f) => f.sign({ claims: { exp: String(f.target.now + 300) } }),
    refusal: invalidClaim('exp', 'invalid'),
  },
  {
    family: 'claim-types',
    attack: 'a null exp',
    build: (f) => f.sign({ claims: { exp: null } }),
    refusal: invalidClaim('exp', 'invalid'),
  },
  {
    family: 'claim-types',
    attack: 'a boolean exp',
    build: (f) => f.sign({ claims: { exp: true } }),
    refusal: invalidClaim('exp', 'invalid'),
  },
  {
    family: 'claim-types',
    attack: 'a string iat',
    build: (f) => f.sign({ claims: { iat: String(f.target.now) } }),
    refusal: invalidClaim('iat', 'invalid'),
  },
  {
    family: 'claim-types',
    attack: 'a string nbf',
    build: (f) => f.sign({ claims: { nbf: String(f.target.now) } }),
    refusal: (t) => `the ${t.label} is not valid yet ("nbf" is in the future)`,
  },

  {
    family: 'exp',
    attack: 'exp exactly the clock skew in the past (now = exp + skew is not before exp + skew)',
    build: (f) => f.sign({ claims: { iat: f.target.now - 300, exp: f.target.now - f.target.clockSkewSeconds } }),
    refusal: (t) => `the ${t.label} has expired`,
  },
  {
    family: 'exp',
    attack: 'exp one second more than the clock skew in the past',
    build: (f) => f.sign({ claims: { iat: f.target.now - 300, exp: f.target.now - f.target.clockSkewSeconds - 1 } }),
    refusal: (t) => `the ${t.label} has expired`,
  },
  {
    family: 'exp',
    attack: 'no exp',
    build: (f) => f.sign({ claims: { exp: undefined } }),
    refusal: (t) => `the ${t.label} has no "exp" claim`,
  },
  {
    family: 'exp',
    attack: 'an exp of 1e20',
    build: (f) => f.sign({ claims: { exp: 1e20 } }),
    refusal: lives((t) => 1e20 - t.now),
  },

  {
    family: 'iat',
    attack: 'iat one second more than the clock skew in the future',
    build: (f) =>
      f.sign({
        claims: {
          iat: f.target.now + f.target.clockSkewSeconds + 1,
          exp: f.target.now + f.target.clockSkewSeconds + 300,
        },
      }),
    refusal: (t) => `the ${t.label} was issued in the future (iat ${iso(t.now + t.clockSkewSeconds + 1)})`,
  },
  {
    family: 'iat',
    attack: 'exp before iat',
    build: (f) => f.sign({ claims: { iat: f.target.now, exp: f.target.now - 1 } }),
    refusal: (t) => `the ${t.label} expires (${iso(t.now - 1)}) no later than it was issued (${iso(t.now)})`,
  },
  {
    family: 'iat',
    attack: 'no iat',
    build: (f) => f.sign({ claims: { iat: undefined } }),
    refusal: (t) => `the ${t.label} has no "iat" claim`,
  },
  {
    family: 'iat',
    attack: 'an iat at the epoch with a near exp',
    build: (f) => f.sign({ claims: { iat: 0, exp: f.target.now + 300 } }),
    refusal: lives((t) => t.now + 300),
  },

  {
    family: 'nbf',
    attack: 'nbf one second more than the clock skew in the future',
    build: (f) => f.sign({ claims: { nbf: f.target.now + f.target.clockSkewSeconds + 1 } }),
    refusal: (t) => `the ${t.label} is not valid yet ("nbf" is in the future)`,
  },

  {
    family: 'lifetime',
    attack: 'a lifetime one second over the cap',
    build: (f) => f.sign({ claims: { iat: f.target.now, exp: f.target.now + f.target.maxLifetimeSeconds + 1 } }),
    refusal: lives((t) => t.maxLifetimeSeconds + 1),
  },

  { family: 'iss', attack: 'no iss', build: (f) => f.sign({ claims: { iss: undefined } }), refusal: noIss },
  {
    family: 'iss',
    attack: 'an array iss',
    build: (f) => f.sign({ claims: { iss: [f.target.claims().iss] } }),
    refusal: noIss,
  },
  {
    family: 'iss',
    attack: 'an object iss',
    build: (f) => f.sign({ claims: { iss: { url: f.target.claims().iss } } }),
    refusal: noIss,
  },
  {
    family: 'iss',
    attack: 'another issuer, signed with its own key',
    build: (f) =>
      f.sign({ claims: { iss: OTHER_ISSUER }, key: f.target.attackerKey, header: { kid: f.target.attackerKey.kid } }),
    refusal: untrusted(OTHER_ISSUER),
  },
  {
    family: 'iss',
    attack: "another issuer's name on a token signed with the issuer's key",
    build: (f) => f.sign({ claims: { iss: OTHER_ISSUER } }),
    refusal: untrusted(OTHER_ISSUER),
  },
  {
    family: 'iss',
    attack: 'the issuer with a trailing slash',
    build: (f) => f.sign({ claims: { iss: `${String(f.target.claims().iss)}/` } }),
    refusal: (t) => untrusted(`${String(t.claims().iss)}/`)(t),
  },
  {
    family: 'iss',
    attack: 'the issuer in upper case',
    build: (f) => f.sign({ claims: { iss: String(f.target.claims().iss).toUpperCase() } }),
    refusal: (t) => untrusted(String(t.claims().iss).toUpperCase())(t),
  },

  // RFC 8725 §3.11–§3.12
  {
    family: 'typ',
    attack: 'no typ',
    build: (f) => f.sign({ header: { typ: undefined } }),
    refusal: badTyp('(none)'),
    appliesTo: (kind) => kind.typMayBeAbsent !== true,
  },
  ...['JWT', 'at+jwt', 'oauth-id-jag+jwt', 'dpop+jwt', 'logout+jwt', 'secevent+jwt', 'application/at+jwt'].map(
    (typ): JwtAttack => ({
      family: 'typ',
      attack: `typ "${typ}"`,
      build: (f) => f.sign({ header: { typ } }),
      refusal: badTyp(`"${typ}"`),
      appliesTo: isNot(typ),
    }),
  ),
  {
    family: 'typ',
    attack: 'the expected typ with a trailing space',
    build: (f) => f.sign({ header: { typ: `${f.target.typ} ` } }),
    refusal: (t) => badTyp(`"${t.typ} "`)(t),
  },
  {
    family: 'typ',
    attack: 'the expected typ with a parameter ("; charset=utf-8")',
    build: (f) => f.sign({ header: { typ: `${f.target.typ}; charset=utf-8` } }),
    refusal: (t) => badTyp(`"${t.typ}; charset=utf-8"`)(t),
  },
  {
    family: 'typ',
    attack: 'the expected typ with "+jwt" twice',
    build: (f) => f.sign({ header: { typ: `${f.target.typ}+jwt` } }),
    refusal: (t) => badTyp(`"${t.typ}+jwt"`)(t),
  },
  {
    family: 'typ',
    attack: 'the expected typ without "+jwt"',
    build: (f) => f.sign({ header: { typ: f.target.typ.replace(/\+jwt$/, '') } }),
    refusal: (t) => badTyp(`"${t.typ.replace(/\+jwt$/, '')}"`)(t),
    appliesTo: (kind) => kind.typ.endsWith('+jwt'),
  },
  {
    family: 'typ',
    attack: 'typ as an array',
    build: (f) => f.sign({ header: { typ: [f.target.typ] } }),
    refusal: (t) => badTyp(`"['${t.typ}']"`)(t),
  },
]

/** The accepted side of every time edge above. */
export const JWT_BOUNDARIES: readonly JwtBoundary[] = [
  {
    family: 'exp',
    boundary: 'exp one second less than the clock skew in the past (the last second within skew)',
    claims: (t) => ({ iat: t.now - 300, exp: t.now - t.clockSkewSeconds + 1 }),
  },
  {
    family: 'iat',
    boundary: 'iat exactly the clock skew in the future',
    claims: (t) => ({ iat: t.now + t.clockSkewSeconds, exp: t.now + t.clockSkewSeconds + 300 }),
  },
  {
    family: 'nbf',
    boundary: 'nbf exactly the clock skew in the future',
    claims: (t) => ({ nbf: t.now + t.clockSkewSeconds }),
  },
  {
    family: 'lifetime',
    boundary: 'a lifetime of exactly the cap',
    claims: (t) => ({ iat: t.now, exp: t.now + t.maxLifetimeSeconds }),
  },
]

/**
 * The attacks that apply to a kind of JWT: all of them (for a verifier), or with `onePerFamily` the
 * first of each family (the wiring sample an endpoint replays).
 */
export function jwtAttacks(kind: JwtKind, options: { onePerFamily?: boolean } = {}): JwtAttack[] {
  const applicable = JWT_ATTACKS.filter((attack) => attack.appliesTo?.(kind) ?? true)
  if (options.onePerFamily !== true) return applicable
  return JWT_ATTACK_FAMILIES.map((family) => applicable.find((attack) => attack.family === family)!)
}
