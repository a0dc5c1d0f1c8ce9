import type { DirectoryUser, McpServer } from '../config.ts'
import { ANY, type EnterprisePolicy, type PolicyRule } from './enterprise-policy.ts'

/** The name given to "no rule allows it" in verdicts, refusals and audit events. */
export const DEFAULT_DENY = 'default-deny'

export interface PolicyQuery {
  user: DirectoryUser
  /** The client_id the client authenticated with at this IdP. */
  clientId: string
  /** The MCP authorization server's issuer (the ID-JAG's `aud`). */
  audience: string
  mcpServer: McpServer
  /** The requested scopes the MCP server defines; empty when the request named none (then every defined scope is considered). */
  requestedScopes: readonly string[]
  /** The subject token's `auth_time` (seconds), for sensitive scopes. */
  authTime?: number | undefined
  now: Date
}

/** How one scope was decided, and by which rule (`default-deny` when no rule allowed it). */
export interface ScopeVerdict {
  scope: string
  effect: 'allow' | 'deny'
  rule: string
}

export interface PolicyDecision {
  /** The scopes policy allows, in the MCP server's order. Empty means refused. */
  granted: string[]
  /** One verdict per scope considered. */
  verdicts: ScopeVerdict[]
  /** Set when the whole request is refused by a switch: a disabled account, or a client's access turned off. */
  blockedBy?: { rule: string; reason: string }
  /** IDP-17, IDP-20: granted scopes that are sensitive and whose sign-in is older than `maxAge`. */
  stepUp?: { scopes: string[]; maxAge: number; acrValues?: string; rules: string[] }
  /** Whether any scope of this MCP server would be allowed to this user and client (for the wording of a refusal). */
  allowsAnything: boolean
  /** The rule (or rules, comma-separated) that decided: what an audit event records. */
  rule: string
  /** The decision in words, naming the rules: what a refusal and an audit event say. */
  explanation: string
}

/**
 * Decides a token exchange against the administrator's policy (IDP-13 … IDP-17, IDP-55):
 *
 * 1. A disabled account, or the client's access to this MCP server switched off, refuses everything.
 * 2. For each scope considered (the requested ones the MCP server defines, or all it defines when
 *    none were requested), the matching rules are those whose subject, client, audience, resource
 *    and scopes all match. A matching **deny** rule refuses the scope, whatever allows it (deny wins).
 *    Else a matching **allow** rule grants it. Else it is refused by default (default deny).
 * 3. A granted scope that a matching allow rule marks sensitive needs `auth_time` within its
 *    `max_age` (the smallest one applies); otherwise the decision asks for step-up.
 *
 * Pure: no I/O, no clock but `query.now`. Does NOT decide whether the audience and resource are a
 * valid pair (resolve-target.ts, IDP-14) or whether a requested scope exists (the grant, RFC 6749 §5.2).
 */
export function decidePolicy(policy: EnterprisePolicy, query: PolicyQuery): PolicyDecision {
  const { user, mcpServer } = query
  const considered =
    query.requestedScopes.length > 0
      ? mcpServer.scopes.filter((scope) => query.requestedScopes.includes(scope))
      : [...mcpServer.scopes]

  if (policy.disabledUsers.includes(user.username)) {
    return blocked(
      `disabled-user:${user.username}`,
      `the administrator disabled the account ${user.username}`,
      considered,
    )
  }
  if (
    policy.disabledClientAccess.some(
      (entry) => entry.client === query.clientId && entry.resource === mcpServer.resource,
    )
  ) {
    return blocked(
      `client-access-off:${query.clientId}`,
      `the administrator switched off ${query.clientId}'s access to ${mcpServer.name}`,
      considered,
    )
  }

  const matching = policy.rules.filter((rule) => appliesTo(rule, query))
  const verdictFor = (scope: string): ScopeVerdict => {
    const deny = matching.find((rule) => rule.effect === 'deny' && coversScope(rule, scope))
    if (deny !== undefined) return { scope, effect: 'deny', rule: deny.id }
    const allow = matching.find((rule) => rule.effect === 'allow' && coversScope(rule, scope))
    if (allow !== undefined) return { scope, effect: 'allow', rule: allow.id }
    return { scope, effect: 'deny', rule: DEFAULT_DENY }
  }
  const verdicts = considered.map(verdictFor)
  const granted = verdicts.filter((verdict) => verdict.effect === 'allow').map((verdict) => verdict.scope)
  const allowsAnything = mcpServer.scopes.some((scope) => verdictFor(scope).effect === 'allow')

  const stepUp = granted.length === 0 ? undefined : stepUpFor(granted, matching, query)
  const decidingRules =
    granted.length > 0
      ? unique(verdicts.filter((verdict) => verdict.effect === 'allow').map((verdict) => verdict.rule))
      : unique(verdicts.map((verdict) => verdict.rule))
  return {
    granted,
    verdicts,
    ...(stepUp === undefined ? {} : { stepUp }),
    allowsAnything,
    rule: (decidingRules.length > 0 ? decidingRules : [DEFAULT_DENY]).join(','),
    explanation:
      verdicts.length === 0
        ? `no rule allows ${user.username} anything at ${mcpServer.resource} (${DEFAULT_DENY})`
        : explain(verdicts, user),
  }
}

function blocked(rule: string, reason: string, considered: readonly string[]): PolicyDecision {
  return {
    granted: [],
    verdicts: considered.map((scope) => ({ scope, effect: 'deny', rule })),
    blockedBy: { rule, reason },
    allowsAnything: false,
    rule,
    explanation: `${reason} (rule "${rule}")`,
  }
}

/** Whether a rule's subject, client, audience and resource match the request (its scopes are matched per scope). */
function appliesTo(rule: PolicyRule, query: PolicyQuery): boolean {
  return (
    subjectMatches(rule.subject, query.user) &&
    (rule.client === ANY || rule.client === query.clientId) &&
    (rule.audience === ANY || rule.audience === query.audience) &&
    (rule.resource === ANY || rule.resource === query.mcpServer.resource)
  )
}

function subjectMatches(subject: string, user: DirectoryUser): boolean {
  if (subject === ANY) return true
  if (subject.startsWith('user:')) return subject.slice('user:'.length) === user.username
  if (subject.startsWith('group:')) return user.groups.includes(subject.slice('group:'.length))
  return false
}

function coversScope(rule: PolicyRule, scope: string): boolean {
  return rule.scopes.includes(ANY) || rule.scopes.includes(scope)
}

function stepUpFor(
  granted: readonly string[],
  matching: readonly PolicyRule[],
  query: PolicyQuery,
): PolicyDecision['stepUp'] {
  const marking = matching.filter(
    (rule) =>
      rule.effect === 'allow' &&
      rule.sensitive !== undefined &&
      granted.some((scope) => rule.sensitive?.scopes.includes(scope)),
  )
  if (marking.length === 0) return undefined
  const maxAge = Math.min(...marking.map((rule) => rule.sensitive?.max_age ?? Number.POSITIVE_INFINITY))
  const age =
    query.authTime === undefined ? Number.POSITIVE_INFINITY : Math.floor(query.now.getTime() / 1000) - query.authTime
  if (age <= maxAge) return undefined
  const scopes = granted.filter((scope) => marking.some((rule) => rule.sensitive?.scopes.includes(scope)))
  const acrValues = marking.map((rule) => rule.sensitive?.acr_values).find((value) => value !== undefined)
  return { scopes, maxAge, ...(acrValues === undefined ? {} : { acrValues }), rules: marking.map((rule) => rule.id) }
}

/** `rule "sales-tasks" allows tasks.read; no rule allows tasks.write for bob (default-deny)`. */
function explain(verdicts: readonly ScopeVerdict[], user: DirectoryUser): string {
  const groups = new Map<string, string[]>()
  for (const verdict of verdicts) {
    const key = `${verdict.effect} ${verdict.rule}`
    groups.set(key, [...(groups.get(key) ?? []), verdict.scope])
  }
  return [...groups.entries()]
    .map(([key, scopes]) => {
      const [effect, rule] = key.split(' ')
      if (rule === DEFAULT_DENY) return `no rule allows ${scopes.join(', ')} for ${user.username} (${DEFAULT_DENY})`
      return `rule "${rule}" ${effect === 'allow' ? 'allows' : 'denies'} ${scopes.join(', ')}`
    })
    .join('; ')
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)]
}
