import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { DirectoryUser, McpServer } from '../src/config.ts'
import { decidePolicy, DEFAULT_DENY, type PolicyQuery } from '../src/policy/decide-policy.ts'
import {
  parseEnterprisePolicy,
  parsePolicyRule,
  PolicyValidationError,
  type EnterprisePolicy,
  type PolicyRule,
  type PolicyWorld,
} from '../src/policy/enterprise-policy.ts'

// The policy engine alone: pure functions, no HTTP (IDP-13 … IDP-17, IDP-55, IDP-56).

const AS = 'https://as.example'
const TASKS: McpServer = { resource: 'https://mcp.example/tasks', name: 'Tasks', scopes: ['tasks.read', 'tasks.write'] }
const CAL: McpServer = { resource: 'https://mcp.example/calendar', name: 'Calendar', scopes: ['calendar.read'] }
const user = (username: string, groups: string[]): DirectoryUser => ({
  username,
  password: 'x',
  sub: `u-${username}`,
  name: username,
  email: `${username}@x.example`,
  groups,
})
const alice = user('alice', ['engineering'])
const bob = user('bob', ['sales'])
const carol = user('carol', [])
const WORLD: PolicyWorld = {
  users: [alice, bob, carol],
  clients: [
    {
      client_id: 'acme-agent',
      token_endpoint_auth_method: 'client_secret_basic',
      client_secret: 's',
      redirect_uris: ['https://a.example/cb'],
      clientIdAtAuthorizationServer: {},
    },
    {
      client_id: 'other-app',
      token_endpoint_auth_method: 'client_secret_basic',
      client_secret: 's',
      redirect_uris: ['https://a.example/cb'],
      clientIdAtAuthorizationServer: {},
    },
  ],
  authorizationServers: [{ issuer: AS, resources: [TASKS, CAL] }],
}
const NOW = new Date('2026-03-01T12:00:00Z')
const nowSeconds = Math.floor(NOW.getTime() / 1000)

function rule(overrides: Partial<PolicyRule> & Pick<PolicyRule, 'id'>): PolicyRule {
  return {
    effect: 'allow',
    subject: '*',
    client: '*',
    audience: AS,
    resource: TASKS.resource,
    scopes: ['*'],
    ...overrides,
  }
}
function policy(rules: PolicyRule[], extra: Partial<EnterprisePolicy> = {}): EnterprisePolicy {
  return parseEnterprisePolicy({ rules, disabledUsers: [], disabledClientAccess: [], ...extra }, WORLD)
}
function query(overrides: Partial<PolicyQuery> = {}): PolicyQuery {
  return {
    user: alice,
    clientId: 'acme-agent',
    audience: AS,
    mcpServer: TASKS,
    requestedScopes: [],
    authTime: nowSeconds - 10,
    now: NOW,
    ...overrides,
  }
}
const DEMO = policy([
  rule({ id: 'engineering-tasks', subject: 'group:engineering', scopes: ['tasks.read', 'tasks.write'] }),
  rule({ id: 'sales-tasks', subject: 'group:sales', scopes: ['tasks.read'] }),
])

test('IDP-13 IDP-17 an allow rule grants its scopes, and the decision names it', () => {
  const decision = decidePolicy(DEMO, query())
  assert.deepEqual(decision.granted, ['tasks.read', 'tasks.write'])
  assert.deepEqual(decision.verdicts, [
    { scope: 'tasks.read', effect: 'allow', rule: 'engineering-tasks' },
    { scope: 'tasks.write', effect: 'allow', rule: 'engineering-tasks' },
  ])
  assert.equal(decision.rule, 'engineering-tasks')
  assert.equal(decision.explanation, 'rule "engineering-tasks" allows tasks.read, tasks.write')
})

test('IDP-16 IDP-17 narrowing: bob gets only what his group allows; the rest is refused by default deny, and said so', () => {
  const decision = decidePolicy(DEMO, query({ user: bob, requestedScopes: ['tasks.read', 'tasks.write'] }))
  assert.deepEqual(decision.granted, ['tasks.read'])
  assert.deepEqual(decision.verdicts[1], { scope: 'tasks.write', effect: 'deny', rule: DEFAULT_DENY })
  assert.equal(decision.rule, 'sales-tasks')
  assert.equal(
    decision.explanation,
    'rule "sales-tasks" allows tasks.read; no rule allows tasks.write for bob (default-deny)',
  )
})

test('IDP-16 only the requested scopes are considered', () => {
  assert.deepEqual(decidePolicy(DEMO, query({ requestedScopes: ['tasks.read'] })).granted, ['tasks.read'])
})

test('IDP-13 IDP-55 default deny: no rule for carol grants nothing, and allowsAnything is false', () => {
  const decision = decidePolicy(DEMO, query({ user: carol }))
  assert.deepEqual(decision.granted, [])
  assert.equal(decision.allowsAnything, false)
  assert.equal(decision.rule, DEFAULT_DENY)
  assert.equal(decision.explanation, 'no rule allows tasks.read, tasks.write for carol (default-deny)')
})

test('IDP-13 deny wins: a deny rule refuses a scope an allow rule grants, whatever the order', () => {
  for (const order of ['deny first', 'allow first']) {
    const deny = rule({ id: 'no-writes-for-alice', effect: 'deny', subject: 'user:alice', scopes: ['tasks.write'] })
    const allow = rule({ id: 'engineering-tasks', subject: 'group:engineering', scopes: ['tasks.read', 'tasks.write'] })
    const decision = decidePolicy(policy(order === 'deny first' ? [deny, allow] : [allow, deny]), query())
    assert.deepEqual(decision.granted, ['tasks.read'], order)
    assert.deepEqual(decision.verdicts[1], { scope: 'tasks.write', effect: 'deny', rule: 'no-writes-for-alice' })
    assert.equal(
      decision.explanation,
      'rule "engineering-tasks" allows tasks.read; rule "no-writes-for-alice" denies tasks.write',
    )
  }
})

test('IDP-13 IDP-55 a deny of every scope refuses the request and names the deny rule', () => {
  const decision = decidePolicy(
    policy([...DEMO.rules, rule({ id: 'bob-off', effect: 'deny', subject: 'user:bob', scopes: ['*'] })]),
    query({ user: bob }),
  )
  assert.deepEqual(decision.granted, [])
  assert.equal(decision.rule, 'bob-off')
  assert.equal(decision.explanation, 'rule "bob-off" denies tasks.read, tasks.write')
})

test('IDP-13 a rule matches on client, audience and resource as well as subject', () => {
  const onlyOtherApp = policy([rule({ id: 'other-app-only', client: 'other-app' })])
  assert.deepEqual(decidePolicy(onlyOtherApp, query()).granted, [])
  assert.deepEqual(decidePolicy(onlyOtherApp, query({ clientId: 'other-app' })).granted, ['tasks.read', 'tasks.write'])
  const calendarOnly = policy([rule({ id: 'calendar', resource: CAL.resource })])
  assert.deepEqual(decidePolicy(calendarOnly, query()).granted, [])
  assert.deepEqual(decidePolicy(calendarOnly, query({ mcpServer: CAL })).granted, ['calendar.read'])
  const anyResource = policy([rule({ id: 'everything', audience: '*', resource: '*' })])
  assert.deepEqual(decidePolicy(anyResource, query({ mcpServer: CAL })).granted, ['calendar.read'])
})

test('IDP-55 a disabled account refuses everything, naming the switch as the rule', () => {
  const decision = decidePolicy({ ...DEMO, disabledUsers: ['alice'] }, query())
  assert.deepEqual(decision.granted, [])
  assert.deepEqual(decision.blockedBy, {
    rule: 'disabled-user:alice',
    reason: 'the administrator disabled the account alice',
  })
  assert.equal(decision.rule, 'disabled-user:alice')
})

test('IDP-55 a client switched off for a resource refuses it, and only it', () => {
  const off = { ...DEMO, disabledClientAccess: [{ client: 'acme-agent', resource: TASKS.resource }] }
  assert.equal(decidePolicy(off, query()).blockedBy?.rule, 'client-access-off:acme-agent')
  assert.equal(decidePolicy(off, query({ clientId: 'other-app' })).blockedBy, undefined)
})

test('IDP-17 IDP-20 IDP-56 a sensitive scope needs auth_time within max_age; the smallest max_age applies', () => {
  const sensitive = policy([
    rule({ id: 'eng', subject: 'group:engineering', sensitive: { scopes: ['tasks.write'], max_age: 300 } }),
    rule({
      id: 'strict',
      subject: 'user:alice',
      scopes: ['tasks.write'],
      sensitive: { scopes: ['tasks.write'], max_age: 60, acr_values: 'phr' },
    }),
  ])
  assert.equal(
    decidePolicy(sensitive, query({ authTime: nowSeconds - 60 })).stepUp,
    undefined,
    'exactly max_age old is fresh enough',
  )
  assert.deepEqual(decidePolicy(sensitive, query({ authTime: nowSeconds - 61 })).stepUp, {
    scopes: ['tasks.write'],
    maxAge: 60,
    acrValues: 'phr',
    rules: ['eng', 'strict'],
  })
  assert.equal(
    decidePolicy(sensitive, query({ authTime: undefined })).stepUp?.maxAge,
    60,
    'no auth_time is never fresh',
  )
  assert.equal(
    decidePolicy(sensitive, query({ authTime: nowSeconds - 3600, requestedScopes: ['tasks.read'] })).stepUp,
    undefined,
    'not asked for, no step-up',
  )
})

test('IDP-13 a policy naming what does not exist is refused, every issue with its path', () => {
  const bad = {
    rules: [
      rule({ id: 'a', subject: 'group:marketing' }),
      rule({ id: 'a', client: 'nobody' }),
      rule({ id: 'c', audience: 'https://other-as.example' }),
      rule({ id: 'd', scopes: ['tasks.delete'] }),
      rule({ id: 'e', effect: 'deny', sensitive: { scopes: ['tasks.write'], max_age: 5 } }),
    ],
    disabledUsers: ['mallory'],
    disabledClientAccess: [{ client: 'acme-agent', resource: 'https://nowhere.example' }],
  }
  assert.throws(
    () => parseEnterprisePolicy(bad, WORLD),
    (error: unknown) => {
      assert.ok(error instanceof PolicyValidationError)
      assert.deepEqual(
        error.issues.map((issue) => issue.path),
        [
          'rules.0.subject',
          'rules.1.id',
          'rules.1.client',
          'rules.2.audience',
          'rules.3.scopes.0',
          'rules.4.sensitive',
          'disabledUsers.0',
          'disabledClientAccess.0.resource',
        ],
      )
      assert.match(error.message, /^rules\.0\.subject: "marketing" is not a group of the directory/)
      return true
    },
  )
  assert.throws(
    () => parseEnterprisePolicy({ rules: [{ id: 'x', effect: 'maybe' }] }, WORLD),
    /rules\.0\.effect: must be "allow" or "deny"/,
  )
  assert.throws(
    () => parsePolicyRule({ ...rule({ id: 'engineering-tasks' }) }, WORLD, DEMO.rules),
    /id: a rule "engineering-tasks" already exists/,
  )
})
