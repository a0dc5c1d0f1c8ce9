import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  ACME_AGENT,
  RS_RESOURCE,
  consoleBrowser,
  csrfOf,
  exchange,
  signIn,
  signInAtConsole,
  startIdp,
  type TestIdp,
} from './support/idp.ts'

// The server-rendered admin console at /admin (issue 12): sign-in for administrators only, a session
// cookie that is HttpOnly and SameSite=Strict, a synchronizer token on every form, escaped output.

let idp: TestIdp
before(async () => {
  idp = await startIdp()
})
after(() => idp.close())

const browser = () => consoleBrowser(idp.url)
const signInToConsole = (username: string, password: string) => signInAtConsole(idp.url, username, password)

test('IDP-13 /admin without a session sends the browser to the admin sign-in page', async () => {
  const res = await browser().request('GET', '/admin')
  assert.equal(res.status, 303)
  assert.equal(res.headers.get('location'), '/admin/login')
})

test('IDP-13 the admin signs in: the session cookie is HttpOnly, SameSite=Strict, Path=/admin, and the console shows rules, users, groups and the revocation window', async () => {
  const page = await browser().request('GET', '/admin/login')
  assert.match(page.headers.get('set-cookie') ?? '', /acme_admin_login=[\w-]+; Path=\/admin; HttpOnly; SameSite=Strict/)
  const admin = await signInToConsole('admin', 'admin-password')
  assert.equal(admin.res.status, 303)
  assert.match(
    admin.res.headers.get('set-cookie') ?? '',
    /acme_admin_session=[\w-]{43}; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=1800/,
  )
  const console = await admin.request('GET', '/admin')
  assert.equal(console.status, 200)
  assert.equal(console.headers.get('cache-control'), 'no-store')
  assert.equal(console.headers.get('x-frame-options'), 'DENY')
  for (const text of [
    'engineering-tasks',
    'sales-tasks',
    'Users and groups',
    'engineering, sales',
    'acme-agent',
    '300 s',
    '600 s',
    'Worst case after a change',
  ])
    assert.ok(console.html.includes(text), text)
})

test('IDP-13 alice signs in at the console and gets 403: no session, no privilege', async () => {
  const alice = await signInToConsole('alice', 'alice-password')
  assert.equal(alice.res.status, 403)
  assert.match(alice.res.html, /alice is not an administrator of Acme SSO/)
  assert.equal(alice.jar.has('acme_admin_session'), false)
  assert.equal((await alice.request('GET', '/admin')).status, 303)
})

test('IDP-13 a wrong password re-renders the sign-in with 401; a sign-in post without the login token is 403', async () => {
  assert.equal((await signInToConsole('admin', 'nope')).res.status, 401)
  const b = browser()
  await b.request('GET', '/admin/login')
  assert.equal(
    (await b.request('POST', '/admin/login', { username: 'admin', password: 'admin-password', csrf: 'forged' })).status,
    403,
  )
  assert.equal(
    (await browser().request('POST', '/admin/login', { username: 'admin', password: 'admin-password', csrf: '' }))
      .status,
    403,
  )
})

test('IDP-13 CSRF: a form post with the session cookie but without (or with another) synchronizer token is 403 and changes nothing', async () => {
  const admin = await signInToConsole('admin', 'admin-password')
  const before = JSON.stringify(await idp.policy.current())
  assert.equal((await admin.request('POST', '/admin/users/bob', { disabled: 'true' })).status, 403)
  assert.equal(
    (await admin.request('POST', '/admin/users/bob', { disabled: 'true', csrf: 'x'.repeat(43) })).status,
    403,
  )
  assert.equal((await admin.request('POST', '/admin/reset', {})).status, 403)
  assert.equal(JSON.stringify(await idp.policy.current()), before)
  // The same session through the JSON API needs the x-csrf-token header too.
  const cookie = `acme_admin_session=${admin.jar.get('acme_admin_session') ?? ''}`
  const api = await fetch(new URL('/admin/api/users/bob', idp.url), {
    method: 'PUT',
    headers: { cookie, 'content-type': 'application/json' },
    body: '{"disabled":true}',
  })
  assert.equal(api.status, 403)
  assert.equal(((await api.json()) as { error: string }).error, 'invalid_csrf_token')
  assert.equal(JSON.stringify(await idp.policy.current()), before)
})

test("IDP-13 IDP-55 the console adds a deny rule for bob, bob's next exchange is refused naming it, the audit page shows the denial; deleting it restores bob", async () => {
  const admin = await signInToConsole('admin', 'admin-password')
  const bobIdToken = await signIn(idp, { client: ACME_AGENT, username: 'bob', password: 'bob-password' })
  const form = await admin.request('GET', '/admin/rules/new')
  const saved = await admin.request('POST', '/admin/rules', {
    csrf: csrfOf(form.html),
    id: 'bob-on-leave',
    description: '<script>alert(1)</script>',
    effect: 'deny',
    subject: 'user:bob',
    client: '*',
    target: `${idp.config.authorizationServers[0]?.issuer} ${RS_RESOURCE}`,
    scopes: '*',
  })
  assert.equal(saved.status, 303, saved.html)
  const dashboard = await admin.request('GET', '/admin')
  assert.match(dashboard.html, /Saved: added rule bob-on-leave\. It applies to the next token exchange\./)
  assert.ok(
    dashboard.html.includes('&#60;script&#62;alert(1)&#60;/script&#62;') && !dashboard.html.includes('<script>alert'),
    'escaped',
  )

  const refused = await exchange(idp, { subject_token: bobIdToken })
  assert.equal(refused.body.error, 'access_denied')
  assert.match(String(refused.body.error_description), /rule "bob-on-leave" denies tasks\.read, tasks\.write/)

  const audit = await admin.request('GET', '/admin/audit?user=bob&decision=refused')
  assert.match(audit.html, /data-decision="refused"/)
  assert.match(audit.html, /<code>bob-on-leave<\/code>/)
  assert.doesNotMatch(audit.html, /data-decision="granted"/)

  const deleted = await admin.request('POST', '/admin/rules/bob-on-leave/delete', { csrf: csrfOf(dashboard.html) })
  assert.equal(deleted.status, 303)
  assert.equal((await exchange(idp, { subject_token: bobIdToken })).status, 200)
})

test('IDP-13 an invalid rule form is re-rendered with 400 and every problem named; an unknown rule is 404; nothing is a 500', async () => {
  const admin = await signInToConsole('admin', 'admin-password')
  const page = await admin.request('GET', '/admin/rules/new')
  const res = await admin.request('POST', '/admin/rules', {
    csrf: csrfOf(page.html),
    id: 'bad id!',
    effect: 'deny',
    subject: 'group:nobody',
    client: '*',
    target: '* *',
    scopes: '',
  })
  assert.equal(res.status, 400)
  assert.match(res.html, /The rule was not saved/)
  assert.match(res.html, /id: must be 1-64 letters/)
  assert.match(res.html, /scopes: must name at least one scope/)
  assert.equal((await admin.request('GET', '/admin/rules/nope')).status, 404)
  assert.equal((await admin.request('POST', '/admin/rules/nope/delete', { csrf: csrfOf(page.html) })).status, 404)
  const step = await admin.request('POST', '/admin/rules', {
    csrf: csrfOf(page.html),
    id: 'x',
    effect: 'allow',
    subject: '*',
    client: '*',
    target: '* *',
    scopes: '*',
    sensitive_scopes: 'tasks.write',
    max_age: 'soon',
  })
  assert.equal(step.status, 400)
  assert.match(step.html, /sensitive\.max_age/)
})

test('IDP-13 signing out ends the session', async () => {
  const admin = await signInToConsole('admin', 'admin-password')
  const page = await admin.request('GET', '/admin')
  assert.equal((await admin.request('POST', '/admin/logout', { csrf: csrfOf(page.html) })).status, 303)
  assert.equal((await admin.request('GET', '/admin')).status, 303)
})

test('the IdP login page lists the admin user like the others, with a link to the console', async () => {
  const { renderLoginPage } = await import('../src/interactions/login-page.ts')
  const html = renderLoginPage({ action: '/x', clientId: 'acme-agent', users: idp.config.users })
  assert.match(html, /<td>admin<\/td><td><code>admin-password<\/code><\/td>/)
  assert.match(html, /administrator \(<a href="\/admin">admin console<\/a>\)/)
})
