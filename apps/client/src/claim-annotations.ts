/**
 * Which rule checks each claim of the tokens the page shows, and the requirement it comes from
 * (docs/requirements.md). Data only: the sequence diagram's detail view puts each decoded claim next
 * to its rule. The rules are the checks the receiving role makes (the IdP for an ID token presented
 * as the subject token, the MCP authorization server for an ID-JAG, the MCP server for an access
 * token), named in the words the audience sees.
 */

/** The kinds of token the chain carries. */
export type TokenKind = 'id-token' | 'id-jag' | 'access-token' | 'downstream-token'

export interface ClaimRule {
  /** What the receiving role checks, in plain words. */
  rule: string
  /** The requirement ID in docs/requirements.md. */
  requirement: string
}

export interface TokenAnnotations {
  /** Who checks this kind of token. */
  checkedBy: string
  /** JOSE header parameters. */
  header: Record<string, ClaimRule>
  /** Payload claims. */
  claims: Record<string, ClaimRule>
}

export const CLAIM_ANNOTATIONS: Record<TokenKind, TokenAnnotations> = {
  'id-token': {
    checkedBy: 'Acme Agent at sign-in, and Acme SSO when it is the subject token of the token exchange',
    header: {
      alg: { rule: "the IdP's signature, verified with its published keys", requirement: 'IDP-05' },
    },
    claims: {
      iss: { rule: 'must be this IdP (the subject token has to pass validation)', requirement: 'IDP-05' },
      aud: { rule: 'must be the client that authenticated the token exchange', requirement: 'IDP-06' },
      sub: { rule: "names the directory user; the ID-JAG's sub comes from it", requirement: 'IDP-40' },
      exp: { rule: 'an expired ID token is refused as the subject token', requirement: 'IDP-05' },
      iat: { rule: 'checked with exp (the subject token has to pass validation)', requirement: 'IDP-05' },
      nonce: { rule: 'must equal the nonce Acme Agent sent with the authorization request', requirement: 'CL-14' },
      auth_time: { rule: 'carried into the ID-JAG (when and how the user signed in)', requirement: 'IDP-45' },
      acr: { rule: 'carried into the ID-JAG', requirement: 'IDP-45' },
      amr: { rule: 'carried into the ID-JAG', requirement: 'IDP-45' },
    },
  },
  'id-jag': {
    checkedBy: 'the MCP authorization server, at the jwt-bearer grant',
    header: {
      typ: {
        rule: 'must be exactly oauth-id-jag+jwt (no other kind of JWT passes as an ID-JAG)',
        requirement: 'AS-12',
      },
      alg: { rule: 'must be on the asymmetric allow-list; never none', requirement: 'AS-14' },
      kid: {
        rule: "selects the IdP's key; the signature must verify with a key of the issuing IdP",
        requirement: 'AS-13',
      },
    },
    claims: {
      iss: {
        rule: 'must be an IdP this authorization server trusts, whose key verified the signature',
        requirement: 'AS-16',
      },
      aud: { rule: "must be exactly this authorization server's issuer", requirement: 'AS-17' },
      client_id: { rule: 'must name the client that authenticated this very request', requirement: 'AS-18' },
      sub: { rule: 'required; with iss it names the local user', requirement: 'AS-19' },
      exp: { rule: 'required; refused once past (minimal clock skew)', requirement: 'AS-20' },
      iat: { rule: 'required; not in the future, and exp − iat is bounded', requirement: 'AS-21' },
      nbf: { rule: 'not accepted before this time', requirement: 'AS-22' },
      jti: { rule: 'single use: a second redemption is refused', requirement: 'AS-23' },
      resource: { rule: 'must be an MCP server this authorization server governs, bound to aud', requirement: 'AS-24' },
      scope: { rule: "the access token's scope lies within it", requirement: 'AS-27' },
      auth_time: { rule: 'from the sign-in; informational', requirement: 'IDP-45' },
      acr: { rule: 'from the sign-in; informational', requirement: 'IDP-45' },
      amr: { rule: 'from the sign-in; informational', requirement: 'IDP-45' },
    },
  },
  'access-token': {
    checkedBy: 'the Tasks MCP server, on every request',
    header: {
      typ: { rule: 'must be at+jwt (an ID-JAG or an ID token is refused)', requirement: 'RS-10' },
      alg: { rule: "the signature is checked with the authorization server's keys", requirement: 'RS-10' },
      kid: { rule: "selects the authorization server's key", requirement: 'RS-10' },
    },
    claims: {
      iss: { rule: 'must be the MCP authorization server', requirement: 'RS-10' },
      aud: { rule: "must be exactly this MCP server's resource identifier", requirement: 'RS-09' },
      exp: { rule: 'refused once past', requirement: 'RS-10' },
      scope: { rule: 'each tool needs its scope; too little is 403 insufficient_scope', requirement: 'RS-07' },
      client_id: { rule: 'with iss and sub, the principal an MCP session is bound to', requirement: 'RS-19' },
      sub: { rule: "the authorization server's own id for the user (namespace|IdP sub)", requirement: 'AS-40' },
    },
  },
  'downstream-token': {
    checkedBy: 'the Tasks API, on every call the MCP server makes for the user',
    header: {
      typ: { rule: 'must be at+jwt', requirement: 'OBO-18' },
      alg: { rule: "the signature is checked with the authorization server's keys", requirement: 'OBO-18' },
    },
    claims: {
      iss: { rule: 'must be the MCP authorization server', requirement: 'OBO-18' },
      aud: {
        rule: "must be exactly the Tasks API: the MCP server's own token is refused there (no passthrough)",
        requirement: 'OBO-01',
      },
      sub: { rule: "the same user as the MCP server's token: the exchange never changes who", requirement: 'OBO-12' },
      act: {
        rule: 'the outermost act.sub acts now and must be an actor the API allows; nested act entries are earlier actors',
        requirement: 'OBO-13',
      },
      client_id: { rule: "the MCP server's client at the authorization server", requirement: 'OBO-12' },
      scope: {
        rule: "never more than the MCP server's token carried; each route needs its scope",
        requirement: 'OBO-06',
      },
      exp: { rule: "refused once past; never later than the MCP server's token", requirement: 'OBO-15' },
    },
  },
}

/** One row of the detail view: a header parameter or claim, its value as JSON, and its rule if any. */
export interface AnnotatedClaim {
  part: 'header' | 'payload'
  name: string
  value: string
  rule?: string
  requirement?: string
}

/** Where the downstream token travelled: reported by the MCP server, never seen by Acme Agent. */
export const DOWNSTREAM_TOKEN = 'the downstream access token (on-behalf-of)'

/** The decoded token as the page shows it. */
export interface AnnotatedToken {
  /** e.g. "ID-JAG", "Access token", "ID token". */
  label: string
  kind: TokenKind | undefined
  checkedBy: string | undefined
  rows: AnnotatedClaim[]
}

const LABELS: Record<TokenKind, string> = {
  'id-token': 'ID token',
  'id-jag': 'ID-JAG',
  'access-token': 'Access token',
  'downstream-token': 'Downstream access token (on-behalf-of)',
}

/**
 * The kind of a decoded token, from its JOSE `typ` (explicit typing) or, for an ID token, from where it
 * travelled (`id_token` in a response, `subject_token` of a token exchange).
 */
export function tokenKind(header: unknown, carriedIn: string): TokenKind | undefined {
  const typ =
    typeof (header as { typ?: unknown } | null)?.typ === 'string'
      ? String((header as { typ: string }).typ).toLowerCase()
      : undefined
  if (typ === 'oauth-id-jag+jwt') return 'id-jag'
  if (carriedIn === DOWNSTREAM_TOKEN) return 'downstream-token'
  if (typ === 'at+jwt' || typ === 'application/at+jwt') return 'access-token'
  if (carriedIn === 'id_token' || carriedIn === 'subject_token') return 'id-token'
  return undefined
}

/** Puts each decoded header parameter and claim next to the rule that checks it. */
export function annotateToken(header: unknown, claims: unknown, carriedIn: string): AnnotatedToken {
  const kind = tokenKind(header, carriedIn)
  const annotations = kind === undefined ? undefined : CLAIM_ANNOTATIONS[kind]
  const rows = (
    part: 'header' | 'payload',
    object: unknown,
    rules: Record<string, ClaimRule> | undefined,
  ): AnnotatedClaim[] =>
    Object.entries(isRecord(object) ? object : {}).map(([name, value]) => {
      const rule = rules?.[name]
      return {
        part,
        name,
        value: JSON.stringify(value),
        ...(rule === undefined ? {} : { rule: rule.rule, requirement: rule.requirement }),
      }
    })
  return {
    label: kind === undefined ? carriedIn : LABELS[kind],
    kind,
    checkedBy: annotations?.checkedBy,
    rows: [...rows('header', header, annotations?.header), ...rows('payload', claims, annotations?.claims)],
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
