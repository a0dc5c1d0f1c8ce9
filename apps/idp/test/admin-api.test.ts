import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  ACME_AGENT,
  AS_ISSUER,
  RS_RESOURCE,
  exchange,
  jsonObject,
  signIn,
  signInWithRefreshToken,
  startIdp,
  type TestIdp,
} from './support/idp.ts'

// The administrator's JSON API at /admin/api (issue 12): HTTP Basic for scripts, changes applied to
// the next token exchange, validated, persisted atomically, and no privilege for anyone else.

const ADMIN = 'Basic ' + Buffer.from('admin:admin-password').toString('base64')
const ALICE = 'Basic ' + Buffer.from('alice:alice-password').toString('base64')

let idp: TestIdp
let stateDir: string
let bobIdToken: string
before(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'idp-policy-'))
  idp = await startIdp({ policyStateFile: join(stateDir, 'idp-policy.json') })
  bobIdToken = await signIn(idp, { client: ACME_AGENT, username: 'bob', password: 'bob-password' })
})
after(() => idp.close())

async function api(
  method: string,
  path: string,
  options: { auth?: string | null; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers }
  if (options.auth !== null) headers.authorization = options.auth ?? ADMIN
  if (options.body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json'
  const res = await fetch(new URL(`/admin/api${path}`, idp.url), {
    method,
    headers,
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
  })
  const text = await res.text()
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: text.startsWith('{') || text.startsWith('[') ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  }
}

const denyBob = {
  id: 'bob-off',
  description: 'Bob is on leave',
  effect: 'deny',
  subject: 'user:bob',
  client: '*',
  audience: AS_ISSUER,
  resource: RS_RESOURCE,
  scopes: ['*'],
}

describe('authentication and privilege', () => {
  test('IDP-13 without credentials the API is 401 with a Basic challenge, and says how to sign in', async () => {
    const res = await api('GET', '/policy', { auth: null })
    assert.equal(res.status, 401)
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="Acme SSO admin API"/)
    assert.equal(res.body?.error, 'unauthorized')
    assert.equal(res.headers.get('cache-control'), 'no-store')
  })

  test('IDP-13 a wrong password, an unknown user and a malformed header are 401', async () => {
    for (const auth of [
      'Basic ' + Buffer.from('admin:wrong').toString('base64'),
      'Basic ' + Buffer.from('mallory:x').toString('base64'),
      'Basic !!!',
      'Bearer abc',
    ]) {
      assert.equal((await api('GET', '/policy', { auth })).status, 401, auth)
    }
  })

  test('IDP-13 alice, a user who is not an administrator, gets 403 and changes nothing', async () => {
    const before = JSON.stringify(await idp.policy.current())
    for (const [method, path, body] of [
      ['GET', '/policy'],
      ['POST', '/rules', denyBob],
      ['POST', '/reset'],
      ['GET', '/audit'],
    ] as const) {
      const res = await api(method, path, { auth: ALICE, ...(body === undefined ? {} : { body }) })
      assert.equal(res.status, 403, `${method} ${path}`)
      assert.deepEqual(res.body, {
        error: 'access_denied',
        error_description: 'alice is not an administrator of Acme SSO',
      })
    }
    assert.equal(JSON.stringify(await idp.policy.current()), before)
  })

  test('IDP-13 a session cookie without the x-csrf-token header cannot change anything', async () => {
    const res = await api('POST', '/rules', {
      auth: null,
      body: denyBob,
      headers: { cookie: 'acme_admin_session=forged' },
    })
    assert.equal(res.status, 401)
  })
})

describe('editing the policy', () => {
  test('IDP-13 GET /policy is the demo policy: two allow rules, nobody disabled', async () => {
    const res = await api('GET', '/policy')
    assert.equal(res.status, 200)
    assert.deepEqual(
      (res.body?.rules as Array<{ id: string }>).map((rule) => rule.id),
      ['engineering-tasks', 'sales-tasks'],
    )
    assert.deepEqual(res.body?.disabledUsers, [])
  })

  test('IDP-13 IDP-55 a deny rule added by the API applies to the next exchange, and the refusal names it; deleting it restores access', async () => {
    assert.equal((await exchange(idp, { subject_token: bobIdToken })).status, 200)
    const added = await api('POST', '/rules', { body: denyBob })
    assert.equal(added.status, 201, added.text)
    const refused = await exchange(idp, { subject_token: bobIdToken })
    assert.equal(refused.status, 400)
    assert.equal(refused.body.error, 'access_denied')
    assert.equal(
      refused.body.error_description,
      `Acme policy does not allow bob to use ${RS_RESOURCE}: rule "bob-off" denies tasks.read, tasks.write`,
    )
    assert.equal((await api('DELETE', '/rules/bob-off')).status, 200)
    assert.equal((await exchange(idp, { subject_token: bobIdToken })).status, 200)
  })

  test('IDP-17 PUT /rules/:id changes a rule: sales may now write too', async () => {
    const rule = {
      description: 'Sales read and write',
      effect: 'allow',
      subject: 'group:sales',
      client: '*',
      audience: AS_ISSUER,
      resource: RS_RESOURCE,
      scopes: ['tasks.read', 'tasks.write'],
    }
    assert.equal((await api('PUT', '/rules/sales-tasks', { body: rule })).status, 200)
    assert.equal((await exchange(idp, { subject_token: bobIdToken })).body.scope, 'tasks.read tasks.write')
    assert.equal((await api('PUT', '/rules/sales-tasks', { body: { ...rule, id: 'renamed' } })).status, 400)
    assert.equal((await api('PUT', '/rules/nope', { body: rule })).status, 404)
    assert.equal((await api('POST', '/reset')).status, 200)
    assert.equal((await exchange(idp, { subject_token: bobIdToken })).body.scope, 'tasks.read')
  })

  test('IDP-13 IDP-55 disabling a user refuses the next exchange, with an ID token and with a refresh token as subject; enabling restores it', async () => {
    const { refreshToken } = await signInWithRefreshToken(idp, {
      client: ACME_AGENT,
      username: 'bob',
      password: 'bob-password',
    })
    const viaRefresh = () =>
      exchange(idp, {
        subject_token: refreshToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
      })
    assert.equal((await viaRefresh()).status, 200)
    assert.equal((await api('PUT', '/users/bob', { body: { disabled: true } })).status, 200)
    for (const res of [await exchange(idp, { subject_token: bobIdToken }), await viaRefresh()]) {
      assert.equal(res.status, 400)
      assert.equal(res.body.error, 'access_denied')
      assert.match(
        String(res.body.error_description),
        /the administrator disabled the account bob \(rule "disabled-user:bob"\)/,
      )
    }
    const directory = await api('GET', '/directory')
    assert.equal(
      (directory.body?.users as Array<{ username: string; disabled: boolean; password?: string }>).find(
        (user) => user.username === 'bob',
      )?.disabled,
      true,
    )
    assert.ok(!directory.text.includes('password'), 'the directory view never shows passwords')
    assert.equal((await api('PUT', '/users/bob', { body: { disabled: false } })).status, 200)
    assert.equal((await viaRefresh()).status, 200)
  })

  test("IDP-55 switching a client's access to a resource off refuses that client only, naming the switch", async () => {
    assert.equal(
      (await api('PUT', '/client-access', { body: { client: 'acme-agent', resource: RS_RESOURCE, enabled: false } }))
        .status,
      200,
    )
    const res = await exchange(idp, { subject_token: bobIdToken })
    assert.equal(res.body.error, 'access_denied')
    assert.match(
      String(res.body.error_description),
      /switched off acme-agent's access to Tasks \(rule "client-access-off:acme-agent"\)/,
    )
    assert.equal(
      (await api('PUT', '/client-access', { body: { client: 'acme-agent', resource: RS_RESOURCE, enabled: true } }))
        .status,
      200,
    )
    assert.equal((await exchange(idp, { subject_token: bobIdToken })).status, 200)
  })

  test('the revocation window says how long issued tokens stay valid, from configuration', async () => {
    const res = await api('GET', '/revocation-window')
    assert.deepEqual(
      { ...res.body, applies_to: undefined },
      {
        id_jag_lifetime_seconds: 300,
        access_token_lifetime_seconds: 600,
        worst_case_seconds: 900,
        applies_to: undefined,
      },
    )
  })
})

describe('validation: every mistake is a 400 naming the path, never a 500, and changes nothing', () => {
  const cases: Array<[string, string, string, unknown, RegExp]> = [
    [
      'an unknown group',
      'POST',
      '/rules',
      { ...denyBob, id: 'x', subject: 'group:marketing' },
      /subject: "marketing" is not a group of the directory/,
    ],
    [
      'an unknown client',
      'POST',
      '/rules',
      { ...denyBob, id: 'x', client: 'nobody' },
      /client: "nobody" is not a registered client/,
    ],
    [
      'a scope the server does not define',
      'POST',
      '/rules',
      { ...denyBob, id: 'x', scopes: ['tasks.delete'] },
      /scopes\.0: .* does not define "tasks\.delete"/,
    ],
    [
      'a resource the audience does not govern (IDP-14)',
      'POST',
      '/rules',
      { ...denyBob, id: 'x', resource: 'http://localhost:1/mcp' },
      /resource: .* is not governed by/,
    ],
    [
      'a duplicate rule id',
      'POST',
      '/rules',
      { ...denyBob, id: 'sales-tasks' },
      /id: a rule "sales-tasks" already exists/,
    ],
    ['an unknown field', 'POST', '/rules', { ...denyBob, id: 'x', priority: 1 }, /Unrecognized key/],
    [
      'a wrong effect',
      'POST',
      '/rules',
      { ...denyBob, id: 'x', effect: 'permit' },
      /effect: must be "allow" or "deny"/,
    ],
    [
      'a sensitive deny rule',
      'POST',
      '/rules',
      { ...denyBob, id: 'x', sensitive: { scopes: ['tasks.write'], max_age: 10 } },
      /sensitive: only an allow rule/,
    ],
    [
      'a whole policy with an unknown user',
      'PUT',
      '/policy',
      { rules: [], disabledUsers: ['mallory'], disabledClientAccess: [] },
      /disabledUsers\.0: "mallory" is not a user/,
    ],
    [
      'a switch for an unknown client',
      'PUT',
      '/client-access',
      { client: 'nobody', resource: RS_RESOURCE, enabled: false },
      /disabledClientAccess\.0\.client/,
    ],
    ['disabled not a boolean', 'PUT', '/users/bob', { disabled: 'yes' }, /disabled must be true or false/],
  ]
  for (const [name, method, path, body, message] of cases) {
    test(`IDP-13 ${name}`, async () => {
      const before = JSON.stringify(await idp.policy.current())
      const res = await api(method, path, { body })
      assert.equal(res.status, 400, res.text)
      assert.equal(res.body?.error, 'invalid_request')
      assert.match(String(res.body?.error_description), message)
      assert.equal(JSON.stringify(await idp.policy.current()), before)
    })
  }

  test('malformed JSON is 400, a form body is 415, an unknown endpoint 404, an unknown user 404', async () => {
    assert.equal((await api('POST', '/rules', { body: '{"id":' })).status, 400)
    const form = await api('POST', '/rules', {
      body: 'id=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    assert.equal(form.status, 415)
    assert.equal(form.body?.error, 'unsupported_media_type')
    assert.equal((await api('GET', '/nothing-here')).status, 404)
    assert.equal((await api('PUT', '/users/mallory', { body: { disabled: true } })).status, 404)
    assert.equal((await api('POST', '/rules', { body: `{"id":"${'x'.repeat(70_000)}"}` })).status, 413)
  })
})

describe('persistence', () => {
  test('edits are written atomically to the state file, which a new IdP reads; the tracked data file is untouched; reset removes the state', async () => {
    const tracked = readFileSync(new URL('../demo-world.json', import.meta.url), 'utf8')
    assert.equal((await api('PUT', '/users/carol', { body: { disabled: true } })).status, 200)
    const file = join(stateDir, 'idp-policy.json')
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).disabledUsers, ['carol'])
    assert.deepEqual(readdirSync(stateDir), ['idp-policy.json'], 'no temporary file is left behind')
    const second = await startIdp({ policyStateFile: file })
    try {
      assert.deepEqual((await second.policy.current()).disabledUsers, ['carol'], 'a restart keeps the edit')
    } finally {
      await second.close()
    }
    assert.equal((await api('POST', '/reset')).status, 200)
    assert.equal(existsSync(file), false)
    assert.deepEqual((await idp.policy.current()).disabledUsers, [])
    assert.equal(readFileSync(new URL('../demo-world.json', import.meta.url), 'utf8'), tracked)
  })

  test('a state file that no longer fits the world stops a new IdP with one line per problem', async () => {
    const { openPolicyStore } = await import('../src/policy/policy-store.ts')
    const { writeFileSync } = await import('node:fs')
    const file = join(stateDir, 'broken.json')
    writeFileSync(
      file,
      JSON.stringify({
        rules: [
          {
            id: 'x',
            effect: 'allow',
            subject: 'group:nobody',
            client: '*',
            audience: AS_ISSUER,
            resource: RS_RESOURCE,
            scopes: ['*'],
          },
        ],
        disabledUsers: ['mallory'],
      }),
    )
    assert.throws(
      () => openPolicyStore({ demoPolicy: idp.config.policy, world: idp.config, file }),
      (error: unknown) => {
        assert.ok(error instanceof TypeError)
        const lines = error.message.split('\n')
        assert.equal(lines.length, 2)
        assert.match(
          lines[0]!,
          /^invalid IDP_POLICY_STATE_FILE .*broken\.json at rules\.0\.subject: "nobody" is not a group .*; fix it, or delete the file/,
        )
        assert.match(lines[1]!, /at disabledUsers\.0: "mallory" is not a user/)
        return true
      },
    )
  })
})

test("IDP-13 the audit API lists the IdP's decisions newest first, filtered by user, client and decision", async () => {
  const res = await api('GET', '/audit?user=bob&decision=refused')
  assert.equal(res.status, 200)
  const events = res.body?.events as Array<Record<string, unknown>>
  assert.ok(events.length >= 3)
  assert.ok(events.every((event) => event.user === 'bob' && event.decision === 'refused'))
  const times = events.map((event) => String(event.time))
  assert.deepEqual(times, [...times].sort().reverse())
  assert.equal(
    (
      await jsonObject(
        await fetch(new URL('/admin/api/audit?client=nobody', idp.url), { headers: { authorization: ADMIN } }),
      )
    ).events instanceof Array,
    true,
  )
})
