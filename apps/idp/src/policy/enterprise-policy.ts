import { z } from 'zod'
import type { AuthorizationServer, DirectoryUser, RegisteredClient } from '../config.ts'

/**
 * The administrator's policy (IDP-13 … IDP-17, SEC-11, SEC-13): rules over
 * (user or group) × (client) × (authorization server + resource) × (scopes), plus two switches an
 * administrator flips in a hurry: a disabled account, and a client's access to a resource switched off.
 *
 * How a request is decided (policy/decide-policy.ts): deny rules win over allow rules, a scope no
 * rule allows is refused (default deny), and every decision names the rule that made it.
 */
export interface EnterprisePolicy {
  rules: PolicyRule[]
  /** Usernames whose token exchanges are refused (`access_denied`), and who may not sign in. */
  disabledUsers: string[]
  /** (client, resource) pairs whose token exchanges are refused, whoever the user is. */
  disabledClientAccess: ClientAccessSwitch[]
}

export interface PolicyRule {
  /** Names the rule in refusals, audit events and the admin console. */
  id: string
  description?: string
  /** `allow` grants the scopes; `deny` refuses them and wins over any allow. */
  effect: 'allow' | 'deny'
  /** `user:<username>`, `group:<group>` or `*` (everyone). */
  subject: string
  /** A client_id registered at this IdP, or `*`. */
  client: string
  /** An MCP authorization server's issuer (the `audience`), or `*`. */
  audience: string
  /** An MCP server's resource identifier, governed by `audience`, or `*`. */
  resource: string
  /** Scopes the MCP server defines, or `["*"]` for all of them. */
  scopes: string[]
  /**
   * IDP-17, IDP-20, SEC-11: high-impact scopes that need a recent sign-in. When the user signed in
   * more than `max_age` seconds ago, the exchange is answered `insufficient_user_authentication` (IDP-56).
   */
  sensitive?: SensitiveScopes
}

export interface SensitiveScopes {
  scopes: string[]
  /** Seconds since `auth_time`. */
  max_age: number
  /** Sent back as a hint with the step-up error, e.g. a stronger authentication context. */
  acr_values?: string
}

export interface ClientAccessSwitch {
  client: string
  resource: string
}

/** What the policy refers to: the directory, the clients and the (audience, resource) pairs. */
export interface PolicyWorld {
  users: readonly DirectoryUser[]
  clients: readonly RegisteredClient[]
  authorizationServers: readonly AuthorizationServer[]
}

export const ANY = '*'

const Comment = z.string().optional()
const Name = z.string().trim().min(1, 'must not be empty').max(200, 'is longer than 200 characters')

const SensitiveScopesSchema = z
  .object({
    $comment: Comment,
    scopes: z.array(Name).min(1, 'must name at least one scope'),
    max_age: z
      .number()
      .int('must be a whole number of seconds')
      .min(0, 'must be 0 or more')
      .max(86_400 * 30, 'must be at most 30 days'),
    acr_values: z.string().trim().min(1).max(200).optional(),
  })
  .strict()

export const PolicyRuleSchema = z
  .object({
    $comment: Comment,
    id: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/,
        'must be 1-64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
      ),
    description: z.string().trim().max(200, 'is longer than 200 characters').optional(),
    effect: z.enum(['allow', 'deny'], { error: 'must be "allow" or "deny"' }),
    subject: z.string().regex(/^(\*|user:.+|group:.+)$/, 'must be "user:<username>", "group:<group>" or "*"'),
    client: Name,
    audience: Name,
    resource: Name,
    scopes: z.array(Name).min(1, 'must name at least one scope, or "*"'),
    sensitive: SensitiveScopesSchema.optional(),
  })
  .strict()

const ClientAccessSwitchSchema = z.object({ $comment: Comment, client: Name, resource: Name }).strict()

export const EnterprisePolicySchema = z
  .object({
    $comment: Comment,
    rules: z.array(PolicyRuleSchema),
    disabledUsers: z.array(Name).default([]),
    disabledClientAccess: z.array(ClientAccessSwitchSchema).default([]),
  })
  .strict()

/** One problem in a policy, with the path to the value at fault (`rules.2.scopes.0`). */
export interface PolicyIssue {
  path: string
  message: string
}

/** A policy that does not parse or refers to something that does not exist. Lists every issue. */
export class PolicyValidationError extends Error {
  readonly issues: readonly PolicyIssue[]
  constructor(issues: readonly PolicyIssue[]) {
    super(issues.map((issue) => `${issue.path === '' ? '(top level)' : issue.path}: ${issue.message}`).join('\n'))
    this.name = 'PolicyValidationError'
    this.issues = issues
  }
}

/**
 * Parses a policy (from the data file, the state file or the admin API) and checks that everything
 * it names exists in `world`.
 * @throws {PolicyValidationError} listing every issue, each with its path. Messages never echo passwords or secrets.
 */
export function parseEnterprisePolicy(value: unknown, world: PolicyWorld): EnterprisePolicy {
  const parsed = EnterprisePolicySchema.safeParse(value)
  if (!parsed.success) {
    throw new PolicyValidationError(
      parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    )
  }
  const policy: EnterprisePolicy = {
    rules: parsed.data.rules.map(withoutComment),
    disabledUsers: parsed.data.disabledUsers,
    disabledClientAccess: parsed.data.disabledClientAccess.map(({ client, resource }) => ({ client, resource })),
  }
  const issues = checkReferences(policy, world)
  if (issues.length > 0) throw new PolicyValidationError(issues)
  return policy
}

/** Parses one rule (admin console, admin API) against the world; its id may not clash with `others`. */
export function parsePolicyRule(value: unknown, world: PolicyWorld, others: readonly PolicyRule[]): PolicyRule {
  const parsed = PolicyRuleSchema.safeParse(value)
  if (!parsed.success)
    throw new PolicyValidationError(
      parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    )
  const rule = withoutComment(parsed.data)
  const issues = checkRule(rule, '', world)
  if (others.some((other) => other.id === rule.id))
    issues.unshift({ path: 'id', message: `a rule "${rule.id}" already exists` })
  if (issues.length > 0) throw new PolicyValidationError(issues)
  return rule
}

function withoutComment(rule: z.infer<typeof PolicyRuleSchema>): PolicyRule {
  const { $comment: _comment, sensitive, ...rest } = rule
  if (sensitive === undefined) return rest
  const { $comment: _sensitiveComment, ...sensitiveRest } = sensitive
  return { ...rest, sensitive: sensitiveRest }
}

/** The groups of the directory, sorted. */
export function groupsOf(users: readonly DirectoryUser[]): string[] {
  return [...new Set(users.flatMap((user) => user.groups))].sort()
}

function checkReferences(policy: EnterprisePolicy, world: PolicyWorld): PolicyIssue[] {
  const issues: PolicyIssue[] = []
  const ids = new Set<string>()
  policy.rules.forEach((rule, index) => {
    if (ids.has(rule.id))
      issues.push({ path: `rules.${index}.id`, message: `"${rule.id}" names two rules; each rule needs its own id` })
    ids.add(rule.id)
    issues.push(...checkRule(rule, `rules.${index}.`, world))
  })
  const seenUsers = new Set<string>()
  policy.disabledUsers.forEach((username, index) => {
    if (!world.users.some((user) => user.username === username))
      issues.push({ path: `disabledUsers.${index}`, message: `"${username}" is not a user of the directory` })
    if (seenUsers.has(username))
      issues.push({ path: `disabledUsers.${index}`, message: `"${username}" is listed twice` })
    seenUsers.add(username)
  })
  policy.disabledClientAccess.forEach((entry, index) => {
    if (!world.clients.some((client) => client.client_id === entry.client))
      issues.push({
        path: `disabledClientAccess.${index}.client`,
        message: `"${entry.client}" is not a registered client`,
      })
    if (!allResources(world).some((server) => server.resource === entry.resource))
      issues.push({
        path: `disabledClientAccess.${index}.resource`,
        message: `"${entry.resource}" is not a known MCP server`,
      })
  })
  return issues
}

function checkRule(rule: PolicyRule, at: string, world: PolicyWorld): PolicyIssue[] {
  const issues: PolicyIssue[] = []
  const [kind, ...rest] = rule.subject.split(':')
  const name = rest.join(':')
  if (kind === 'user' && !world.users.some((user) => user.username === name))
    issues.push({ path: `${at}subject`, message: `"${name}" is not a user of the directory` })
  if (kind === 'group' && !groupsOf(world.users).includes(name))
    issues.push({
      path: `${at}subject`,
      message: `"${name}" is not a group of the directory (groups: ${groupsOf(world.users).join(', ') || 'none'})`,
    })
  if (rule.client !== ANY && !world.clients.some((client) => client.client_id === rule.client))
    issues.push({ path: `${at}client`, message: `"${rule.client}" is not a registered client; name one, or "*"` })
  const authorizationServer = world.authorizationServers.find((as) => as.issuer === rule.audience)
  if (rule.audience !== ANY && authorizationServer === undefined)
    issues.push({
      path: `${at}audience`,
      message: `"${rule.audience}" is not an authorization server this IdP issues ID-JAGs for; name one, or "*"`,
    })
  // IDP-14: a resource is named together with the authorization server that governs it.
  const candidates = rule.audience === ANY ? allResources(world) : (authorizationServer?.resources ?? [])
  const server = candidates.find((candidate) => candidate.resource === rule.resource)
  if (rule.resource !== ANY && server === undefined && (rule.audience === ANY || authorizationServer !== undefined)) {
    issues.push({
      path: `${at}resource`,
      message:
        rule.audience === ANY
          ? `"${rule.resource}" is not a known MCP server`
          : `"${rule.resource}" is not governed by ${rule.audience} (IDP-14)`,
    })
  }
  const defined = server?.scopes ?? (rule.resource === ANY ? undefined : [])
  if (rule.scopes.includes(ANY) && rule.scopes.length > 1)
    issues.push({ path: `${at}scopes`, message: '"*" stands for every scope and must be alone' })
  rule.scopes.forEach((scope, index) => {
    if (scope !== ANY && defined !== undefined && server !== undefined && !defined.includes(scope)) {
      issues.push({
        path: `${at}scopes.${index}`,
        message: `${server.resource} does not define "${scope}"; it defines ${defined.join(', ')}`,
      })
    }
  })
  if (rule.sensitive !== undefined) {
    if (rule.effect === 'deny')
      issues.push({ path: `${at}sensitive`, message: 'only an allow rule can mark scopes sensitive' })
    rule.sensitive.scopes.forEach((scope, index) => {
      if (!rule.scopes.includes(ANY) && !rule.scopes.includes(scope))
        issues.push({ path: `${at}sensitive.scopes.${index}`, message: `"${scope}" is not one of the rule's scopes` })
    })
  }
  return issues
}

function allResources(world: PolicyWorld) {
  return world.authorizationServers.flatMap((as) => as.resources)
}
