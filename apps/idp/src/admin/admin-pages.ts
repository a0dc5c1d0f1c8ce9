import type { AuditEvent } from '@ema/server-kit'
import type { DirectoryUser, IdpConfig } from '../config.ts'
import { escapeHtml as e } from '@ema/server-kit'
import { ANY, groupsOf, type EnterprisePolicy, type PolicyIssue, type PolicyRule } from '../policy/enterprise-policy.ts'

// The admin console's pages, rendered on the server like the login page. Every value that comes from
// data (rule ids, descriptions, names, audit fields) goes through escapeHtml; every form that changes
// something carries the session's synchronizer token in `csrf`.

const STYLE = `
  body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #1f2937; }
  h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
  nav { display: flex; gap: 1rem; align-items: center; border-bottom: 1px solid #e5e7eb; padding-bottom: .5rem; }
  nav form { margin-left: auto; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
  code { font-size: .85rem; } .note { color: #6b7280; font-size: .9rem; }
  .error { color: #b91c1c; font-weight: 600; } .ok { color: #047857; }
  .granted { color: #047857; font-weight: 600; } .refused { color: #b91c1c; font-weight: 600; }
  label { display: block; margin-top: .75rem; font-weight: 600; }
  input, select { padding: .35rem; font-size: .95rem; } input[type=text], input[type=password], input[type=number], select { width: 100%; box-sizing: border-box; }
  button { padding: .35rem .9rem; font-size: .9rem; cursor: pointer; }
  form.inline { display: inline; }
`

export interface PageContext {
  organizationName: string
  /** The signed-in administrator (absent on the sign-in page). */
  username?: string
  csrfToken?: string
}

export function renderPage(title: string, body: string, context: PageContext): string {
  const nav =
    context.username === undefined
      ? ''
      : `
    <nav>
      <a href="/admin">Policy</a>
      <a href="/admin/audit">Audit trail</a>
      <span class="note">Signed in as <strong>${e(context.username)}</strong></span>
      <form method="post" action="/admin/logout">${csrfField(context)}<button type="submit">Sign out</button></form>
    </nav>`
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${e(title)} – ${e(context.organizationName)} SSO admin</title>
    <style>${STYLE}</style>
  </head>
  <body>
    <h1>${e(context.organizationName)} SSO · administrator</h1>${nav}
    <main>
${body}
    </main>
  </body>
</html>`
}

function csrfField(context: PageContext): string {
  return context.csrfToken === undefined ? '' : `<input type="hidden" name="csrf" value="${e(context.csrfToken)}">`
}

export function renderAdminLoginPage(options: {
  organizationName: string
  csrfToken: string
  error?: string
  username?: string
}): string {
  const error = options.error === undefined ? '' : `<p class="error" role="alert">${e(options.error)}</p>`
  return renderPage(
    'Sign in',
    `
      <h2>Sign in to the admin console</h2>
      <p class="note">Only administrators of the directory may sign in here (the demo's is <code>admin</code> / <code>admin-password</code>).</p>
      ${error}
      <form method="post" action="/admin/login">
        <input type="hidden" name="csrf" value="${e(options.csrfToken)}">
        <label for="username">Username</label>
        <input id="username" name="username" type="text" autocomplete="username" required autofocus value="${e(options.username ?? '')}">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
        <p><button type="submit">Sign in</button></p>
      </form>`,
    { organizationName: options.organizationName },
  )
}

export function renderErrorPage(options: {
  organizationName: string
  status: number
  message: string
  username?: string
  csrfToken?: string
}): string {
  return renderPage(
    `Error ${options.status}`,
    `
      <p class="error" role="alert">HTTP ${options.status}: ${e(options.message)}</p>
      <p><a href="/admin">Back to the console</a></p>`,
    {
      organizationName: options.organizationName,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.csrfToken === undefined ? {} : { csrfToken: options.csrfToken }),
    },
  )
}

export interface DashboardOptions {
  config: IdpConfig
  policy: EnterprisePolicy
  context: PageContext
  /** A one-line confirmation of the last change. */
  notice?: string
  recent: readonly AuditEvent[]
}

/** The console's home: revocation window, rules, users and groups, client access switches, latest decisions. */
export function renderDashboard(options: DashboardOptions): string {
  const { config, policy, context } = options
  const notice = options.notice === undefined ? '' : `<p class="ok" role="status">${e(options.notice)}</p>`
  const rules = policy.rules
    .map(
      (rule) => `
        <tr data-rule="${e(rule.id)}">
          <td><code>${e(rule.id)}</code><br><span class="note">${e(rule.description ?? '')}</span></td>
          <td class="${rule.effect === 'allow' ? 'granted' : 'refused'}">${e(rule.effect)}</td>
          <td>${e(rule.subject)}</td><td>${e(rule.client)}</td>
          <td>${e(rule.audience)}<br>${e(rule.resource)}</td>
          <td>${e(rule.scopes.join(' '))}${rule.sensitive === undefined ? '' : `<br><span class="note">sensitive: ${e(rule.sensitive.scopes.join(' '))}, max_age ${rule.sensitive.max_age} s</span>`}</td>
          <td><a href="/admin/rules/${encodeURIComponent(rule.id)}">Edit</a>
            <form class="inline" method="post" action="/admin/rules/${encodeURIComponent(rule.id)}/delete">${csrfField(context)}<button type="submit" aria-label="Delete rule ${e(rule.id)}">Delete</button></form></td>
        </tr>`,
    )
    .join('')
  const users = config.users
    .map((user) => {
      const disabled = policy.disabledUsers.includes(user.username)
      return `
        <tr data-user="${e(user.username)}">
          <td>${e(user.username)}</td><td>${e(user.name)}</td><td><code>${e(user.sub)}</code></td>
          <td>${e(user.groups.join(', ') || '(none)')}${user.administrator === true ? ' · administrator' : ''}</td>
          <td>${disabled ? '<span class="refused">disabled</span>' : 'active'}</td>
          <td><form class="inline" method="post" action="/admin/users/${encodeURIComponent(user.username)}">${csrfField(context)}
            <input type="hidden" name="disabled" value="${disabled ? 'false' : 'true'}">
            <button type="submit" aria-label="${disabled ? 'Enable' : 'Disable'} ${e(user.username)}">${disabled ? 'Enable' : 'Disable'}</button></form></td>
        </tr>`
    })
    .join('')
  const access = config.clients
    .flatMap((client) =>
      config.authorizationServers.flatMap((as) =>
        as.resources.map((server) => {
          const off = policy.disabledClientAccess.some(
            (entry) => entry.client === client.client_id && entry.resource === server.resource,
          )
          return `
        <tr data-client="${e(client.client_id)}">
          <td><code>${e(client.client_id)}</code></td><td>${e(server.name)} <span class="note">${e(server.resource)}</span></td>
          <td>${off ? '<span class="refused">off</span>' : 'on'}</td>
          <td><form class="inline" method="post" action="/admin/client-access">${csrfField(context)}
            <input type="hidden" name="client" value="${e(client.client_id)}"><input type="hidden" name="resource" value="${e(server.resource)}">
            <input type="hidden" name="enabled" value="${off ? 'true' : 'false'}">
            <button type="submit" aria-label="Switch ${e(client.client_id)} ${off ? 'on' : 'off'} for ${e(server.name)}">Switch ${off ? 'on' : 'off'}</button></form></td>
        </tr>`
        }),
      ),
    )
    .join('')
  return renderPage(
    'Policy',
    `
      ${notice}
      <section aria-labelledby="window">
        <h2 id="window">Revocation window</h2>
        <p>A change applies to the <strong>next</strong> token exchange, without a restart. Tokens already issued are not recalled:
        an ID-JAG stays redeemable for up to <strong data-testid="id-jag-lifetime">${config.idJagLifetimeSeconds} s</strong>, and an access token
        it was redeemed for stays valid for up to <strong data-testid="access-token-lifetime">${config.accessTokenLifetimeSeconds} s</strong>
        (the authorization server's <code>ACCESS_TOKEN_LIFETIME_SECONDS</code>). Worst case after a change: <strong>${config.idJagLifetimeSeconds + config.accessTokenLifetimeSeconds} s</strong>.</p>
        <p class="note">Policy: <code>${e(config.policyVariant)}</code> variant of <code>${e(config.worldFile.split('/').slice(-1)[0] ?? '')}</code>; edits are kept ${config.policyStateFile === undefined ? 'in memory only' : `in <code>${e(config.policyStateFile)}</code>`}.</p>
      </section>
      <section aria-labelledby="rules">
        <h2 id="rules">Rules</h2>
        <p class="note">Deny rules win over allow rules; a scope no rule allows is refused (default deny).</p>
        <table>
          <thead><tr><th>Rule</th><th>Effect</th><th>Subject</th><th>Client</th><th>Audience / resource</th><th>Scopes</th><th></th></tr></thead>
          <tbody>${rules}
          </tbody>
        </table>
        <p><a href="/admin/rules/new">Add a rule</a></p>
      </section>
      <section aria-labelledby="users">
        <h2 id="users">Users and groups</h2>
        <p class="note">Groups: ${e(groupsOf(config.users).join(', ') || '(none)')}. A disabled user cannot sign in, and the next token exchange for them is refused.</p>
        <table>
          <thead><tr><th>Username</th><th>Name</th><th>sub</th><th>Groups</th><th>Status</th><th></th></tr></thead>
          <tbody>${users}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="access">
        <h2 id="access">Client access to MCP servers</h2>
        <table>
          <thead><tr><th>Client</th><th>MCP server</th><th>Access</th><th></th></tr></thead>
          <tbody>${access}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="latest">
        <h2 id="latest">Latest decisions</h2>
        ${renderAuditTable(options.recent.slice(0, 10))}
        <p><a href="/admin/audit">The whole audit trail</a></p>
      </section>
      <section aria-labelledby="reset">
        <h2 id="reset">Reset</h2>
        <form method="post" action="/admin/reset">${csrfField(context)}
          <p class="note">Restores the demo policy of the data file: rules, disabled users and client switches.</p>
          <button type="submit">Reset to the demo policy</button>
        </form>
      </section>`,
    context,
  )
}

export interface RuleFormValues {
  id: string
  description: string
  effect: string
  subject: string
  client: string
  target: string
  scopes: string
  sensitiveScopes: string
  maxAge: string
  acrValues: string
}

export function ruleFormValues(rule: PolicyRule | undefined): RuleFormValues {
  return {
    id: rule?.id ?? '',
    description: rule?.description ?? '',
    effect: rule?.effect ?? 'allow',
    subject: rule?.subject ?? '',
    client: rule?.client ?? ANY,
    target: rule === undefined ? '' : `${rule.audience} ${rule.resource}`,
    scopes: rule?.scopes.join(' ') ?? '',
    sensitiveScopes: rule?.sensitive?.scopes.join(' ') ?? '',
    maxAge: rule?.sensitive === undefined ? '' : String(rule.sensitive.max_age),
    acrValues: rule?.sensitive?.acr_values ?? '',
  }
}

export function renderRuleForm(options: {
  config: IdpConfig
  context: PageContext
  values: RuleFormValues
  editing: boolean
  issues?: readonly PolicyIssue[]
}): string {
  const { config, values, editing } = options
  const issues =
    options.issues === undefined || options.issues.length === 0
      ? ''
      : `
      <div class="error" role="alert"><p>The rule was not saved:</p><ul>${options.issues.map((issue) => `<li>${e(issue.path || 'rule')}: ${e(issue.message)}</li>`).join('')}</ul></div>`
  const option = (value: string, label: string, selected: string) =>
    `<option value="${e(value)}"${value === selected ? ' selected' : ''}>${e(label)}</option>`
  const subjects = [
    ANY,
    ...groupsOf(config.users).map((group) => `group:${group}`),
    ...config.users.map((user: DirectoryUser) => `user:${user.username}`),
  ]
  const targets = [
    `${ANY} ${ANY}`,
    ...config.authorizationServers.flatMap((as) => [
      `${as.issuer} ${ANY}`,
      ...as.resources.map((server) => `${as.issuer} ${server.resource}`),
    ]),
  ]
  const action = editing ? `/admin/rules/${encodeURIComponent(values.id)}` : '/admin/rules'
  return renderPage(
    editing ? `Edit rule ${values.id}` : 'Add a rule',
    `
      <h2>${editing ? `Edit rule <code>${e(values.id)}</code>` : 'Add a rule'}</h2>${issues}
      <form method="post" action="${e(action)}">${csrfField(options.context)}
        <label for="id">Rule id</label>
        <input id="id" name="id" type="text" required value="${e(values.id)}"${editing ? ' readonly' : ''}>
        <label for="description">Description</label>
        <input id="description" name="description" type="text" value="${e(values.description)}">
        <label for="effect">Effect</label>
        <select id="effect" name="effect">${option('allow', 'allow: grant these scopes', values.effect)}${option('deny', 'deny: refuse these scopes (wins over allow)', values.effect)}</select>
        <label for="subject">Subject (user or group)</label>
        <select id="subject" name="subject">${subjects.map((subject) => option(subject, subject === ANY ? '* (everyone)' : subject, values.subject)).join('')}</select>
        <label for="client">Client</label>
        <select id="client" name="client">${[ANY, ...config.clients.map((client) => client.client_id)].map((client) => option(client, client === ANY ? '* (any client)' : client, values.client)).join('')}</select>
        <label for="target">Authorization server and resource</label>
        <select id="target" name="target">${targets.map((target) => option(target, target.replace(' ', ' → '), values.target)).join('')}</select>
        <label for="scopes">Scopes (space-separated, or *)</label>
        <input id="scopes" name="scopes" type="text" required value="${e(values.scopes)}">
        <fieldset>
          <legend>Step-up for sensitive scopes (allow rules only)</legend>
          <label for="sensitive_scopes">Sensitive scopes (space-separated; empty for none)</label>
          <input id="sensitive_scopes" name="sensitive_scopes" type="text" value="${e(values.sensitiveScopes)}">
          <label for="max_age">max_age (seconds since sign-in)</label>
          <input id="max_age" name="max_age" type="number" min="0" value="${e(values.maxAge)}">
          <label for="acr_values">acr_values hint (optional)</label>
          <input id="acr_values" name="acr_values" type="text" value="${e(values.acrValues)}">
        </fieldset>
        <p><button type="submit">Save rule</button> <a href="/admin">Cancel</a></p>
      </form>`,
    options.context,
  )
}

export interface AuditFilter {
  user?: string | undefined
  client?: string | undefined
  decision?: string | undefined
}

export function renderAuditPage(options: {
  events: readonly AuditEvent[]
  filter: AuditFilter
  context: PageContext
  config: IdpConfig
}): string {
  const { filter, config } = options
  const option = (value: string, label: string, selected: string | undefined) =>
    `<option value="${e(value)}"${value === (selected ?? '') ? ' selected' : ''}>${e(label)}</option>`
  return renderPage(
    'Audit trail',
    `
      <h2>Audit trail</h2>
      <p class="note">Every token exchange at this IdP, granted or refused, newest first (kept in memory: the last 1000; the SIEM copy goes to <code>AUDIT_LOG</code>).</p>
      <form method="get" action="/admin/audit">
        <label for="filter-user">User</label>
        <select id="filter-user" name="user">${option('', 'any', filter.user)}${config.users.map((user) => option(user.username, user.username, filter.user)).join('')}</select>
        <label for="filter-client">Client</label>
        <select id="filter-client" name="client">${option('', 'any', filter.client)}${config.clients.map((client) => option(client.client_id, client.client_id, filter.client)).join('')}</select>
        <label for="filter-decision">Decision</label>
        <select id="filter-decision" name="decision">${option('', 'any', filter.decision)}${option('granted', 'granted', filter.decision)}${option('refused', 'refused', filter.decision)}</select>
        <p><button type="submit">Filter</button></p>
      </form>
      ${renderAuditTable(options.events)}`,
    options.context,
  )
}

function renderAuditTable(events: readonly AuditEvent[]): string {
  if (events.length === 0) return '<p class="note" data-testid="audit-empty">No decisions yet.</p>'
  const text = (value: unknown) => e(typeof value === 'string' || typeof value === 'number' ? String(value) : '')
  const rows = events
    .map(
      (event) => `
        <tr data-testid="audit-event" data-decision="${text(event.decision)}">
          <td>${text(event.time)}</td><td class="${event.decision === 'granted' ? 'granted' : 'refused'}">${text(event.decision)}</td>
          <td>${text(event.user)}</td><td><code>${text(event.client_id)}</code></td>
          <td>${text(event.resource)}</td>
          <td>${text(event.scope_requested)}</td><td>${text(event.scope_granted)}</td>
          <td><code>${text(event.rule)}</code><br><span class="note">${text(event.explanation)}</span>${event.error === undefined ? '' : `<br><code>${text(event.error)}</code> ${text(event.error_description)}`}</td>
          <td><code>${text(event.jti)}</code></td>
        </tr>`,
    )
    .join('')
  return `<table>
          <thead><tr><th>Time</th><th>Decision</th><th>User</th><th>Client</th><th>Resource</th><th>Requested</th><th>Granted</th><th>Rule</th><th>ID-JAG jti</th></tr></thead>
          <tbody>${rows}
          </tbody>
        </table>`
}
