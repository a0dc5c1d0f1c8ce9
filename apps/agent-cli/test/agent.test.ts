import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { type AgentState, keepAccessToken, writeAgentState } from '../src/agent-state.ts'
import { chooseSubjectToken } from '../src/connect-as-signed-in-user.ts'
import { listenForCallback } from '../src/loopback-listener.ts'
import { parseAgentArguments, UsageError } from '../src/parse-agent-arguments.ts'
import { stateFromIdToken } from '../src/state-from-id-token.ts'
import type { AgentConfig } from '../src/agent-config.ts'
import { type CachedAccessToken, FlowError, usableCachedToken } from '@ema/id-jag-client'
import { fakeJwt } from './support/fake-jwt.ts'

const NOW = Date.UTC(2026, 10, 30, 12)
const dir = mkdtempSync(path.join(tmpdir(), 'agent-unit-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const signedIn: AgentState = {
  version: 1,
  idpIssuer: 'http://localhost:4001',
  clientId: 'acme-agent-cli',
  user: { sub: 'u-1001' },
  refreshToken: 'refresh-1',
  idToken: 'id-token-1',
  idTokenExpiresAt: NOW + 30 * 60_000,
}

describe('parseAgentArguments', () => {
  const usable: Array<[string[], unknown]> = [
    [[], { name: 'help' }],
    [['login'], { name: 'login', idTokenFromStdin: false }],
    [['login', '--id-token'], { name: 'login', idTokenFromStdin: true }],
    [['call', 'whoami'], { name: 'call', tool: 'whoami', arguments: {}, pinnedScope: undefined }],
    [
      ['call', '--scope', 'tasks.read', 'add_task', '{"title":"x"}'],
      { name: 'call', tool: 'add_task', arguments: { title: 'x' }, pinnedScope: 'tasks.read' },
    ],
    [
      ['call', 'add_task', '{"title":"x"}', '--scope=tasks.read  tasks.write'],
      { name: 'call', tool: 'add_task', arguments: { title: 'x' }, pinnedScope: 'tasks.read tasks.write' },
    ],
    [['tools', '--scope', 'tasks.read'], { name: 'tools', pinnedScope: 'tasks.read' }],
  ]
  for (const [argv, expected] of usable) {
    test(`parses ${JSON.stringify(argv)}`, () => assert.deepEqual(parseAgentArguments(argv), expected))
  }
  const refused: Array<[string[], RegExp]> = [
    [['frobnicate'], /Unknown command "frobnicate"/],
    [['login', 'extra'], /login takes no arguments except --id-token/],
    [['login', '--id-token', 'extra'], /login takes no arguments except --id-token/],
    [['status', 'x'], /status takes no arguments/],
    [['call'], /call needs a tool name/],
    [['call', '--scope'], /--scope needs space-separated scopes/],
    [['call', '--scope', 'bad"scope', 'whoami'], /--scope needs space-separated scopes/],
    [['call', '--scope', 'a', '--scope', 'b', 'whoami'], /--scope is given twice/],
    [['call', '--verbose', 'whoami'], /Unknown option "--verbose"/],
    [['call', 'add_task', '{not json'], /not JSON/],
    [['call', 'add_task', '[1]'], /must be a JSON object/],
    [['call', 'add_task', '{}', 'extra'], /got also "extra"/],
    [['tools', 'whoami'], /tools takes no arguments/],
  ]
  for (const [argv, message] of refused) {
    test(`refuses ${JSON.stringify(argv)} as a usage error`, () =>
      assert.throws(
        () => parseAgentArguments(argv),
        (error: unknown) => error instanceof UsageError && message.test(error.message),
      ))
  }
})

describe('chooseSubjectToken (CL-24, CL-45)', () => {
  test('CL-24 the ID token while it has more than a minute left', () => {
    assert.equal(chooseSubjectToken(signedIn, NOW).type, 'id_token')
    assert.equal(chooseSubjectToken(signedIn, NOW).token, 'id-token-1')
  })
  test('CL-45 the IdP refresh token once the ID token has (nearly) expired', () => {
    const choice = chooseSubjectToken({ ...signedIn, idTokenExpiresAt: NOW + 59_000 }, NOW)
    assert.equal(choice.type, 'refresh_token')
    assert.equal(choice.token, 'refresh-1')
  })
  test('CL-45 neither: login_required, saying how to sign in', () => {
    const { refreshToken: _r, ...withoutRefresh } = signedIn
    assert.throws(
      () => chooseSubjectToken({ ...withoutRefresh, idTokenExpiresAt: NOW - 1 }, NOW),
      (error: unknown) =>
        error instanceof FlowError && error.error === 'login_required' && /npm run agent -- login/.test(error.message),
    )
  })
})

describe('usableCachedToken (CL-43, CL-44)', () => {
  const cached: CachedAccessToken = {
    accessToken: { access_token: 'at', token_type: 'Bearer', expires_in: 600 },
    grantedScope: 'tasks.read tasks.write',
    authorizationServer: 'http://localhost:4002',
    resource: 'http://localhost:4003/mcp',
    clientId: 'acme-agent-cli-tasks',
    expiresAt: NOW + 600_000,
  }
  const context = {
    issuer: 'http://localhost:4002',
    resource: 'http://localhost:4003/mcp',
    clientId: 'acme-agent-cli-tasks',
    pinnedScope: undefined,
    now: NOW,
  }
  test('reused when issuer, resource and client match and it has time left', () =>
    assert.equal(usableCachedToken(cached, context), cached))
  test('CL-43 not reused for another authorization server, resource or client', () => {
    assert.equal(usableCachedToken(cached, { ...context, issuer: 'http://localhost:4999' }), undefined)
    assert.equal(usableCachedToken(cached, { ...context, resource: 'http://localhost:4003/other' }), undefined)
    assert.equal(usableCachedToken(cached, { ...context, clientId: 'acme-agent-tasks' }), undefined)
  })
  test('CL-44 not reused with 30 s or less left', () => {
    assert.equal(usableCachedToken({ ...cached, expiresAt: NOW + 30_000 }, context), undefined)
    assert.ok(usableCachedToken({ ...cached, expiresAt: NOW + 31_000 }, context))
  })
  test('least privilege: a token broader than --scope is not reused; one within it is', () => {
    assert.equal(usableCachedToken(cached, { ...context, pinnedScope: 'tasks.read' }), undefined)
    assert.ok(
      usableCachedToken(
        { ...cached, grantedScope: 'tasks.read' },
        { ...context, pinnedScope: 'tasks.read tasks.write' },
      ),
    )
  })
})

describe('the state file', () => {
  const token = {
    token: { access_token: 'at-2', token_type: 'Bearer' },
    grantedScope: 'tasks.read',
    authorizationServer: 'a',
    resource: 'r',
    clientId: 'c',
    expiresAt: NOW,
  }
  test('writes are owner-only (0600), also when rewritten', () => {
    const file = path.join(dir, 'mode.json')
    writeAgentState(file, signedIn)
    assert.equal(keepAccessToken(file, signedIn, token), true)
    assert.equal(statSync(file).mode & 0o777, 0o600)
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as AgentState).accessToken?.token.access_token, 'at-2')
  })
  test('a token obtained after a logout is not kept: the deleted file stays deleted', () => {
    const file = path.join(dir, 'logged-out.json')
    assert.equal(keepAccessToken(file, signedIn, token), false)
    assert.throws(() => statSync(file), /ENOENT/)
  })
  test('a token obtained for an earlier sign-in does not overwrite a newer one', () => {
    const file = path.join(dir, 'relogin.json')
    writeAgentState(file, { ...signedIn, user: { sub: 'u-1002' }, refreshToken: 'refresh-bob' })
    assert.equal(keepAccessToken(file, signedIn, token), false)
    const kept = JSON.parse(readFileSync(file, 'utf8')) as AgentState
    assert.equal(kept.refreshToken, 'refresh-bob')
    assert.equal(kept.accessToken, undefined)
  })
})

describe('stateFromIdToken (login --id-token)', () => {
  const config = { idpIssuer: 'http://localhost:4001', idpClient: { clientId: 'acme-agent-cli' } } as AgentConfig
  const idToken = (claims: Record<string, unknown>) =>
    fakeJwt({ alg: 'ES256' }, { sub: 'u-1001', aud: 'acme-agent-cli', exp: NOW / 1000 + 600, ...claims })
  test('keeps the ID token and its expiry, and no refresh token', () => {
    const state = stateFromIdToken(config, idToken({}), NOW)
    assert.equal(state.idTokenExpiresAt, NOW + 600_000)
    assert.equal(state.refreshToken, undefined)
  })
  test('IDP-06 refuses one issued to another client, before any request', () => {
    assert.throws(
      () => stateFromIdToken(config, idToken({ aud: 'acme-agent' }), NOW),
      /issued to acme-agent, not to acme-agent-cli/,
    )
  })
  test('refuses one that expires within a minute, and one that is not a JWT', () => {
    assert.throws(() => stateFromIdToken(config, idToken({ exp: NOW / 1000 + 30 }), NOW), /expires within a minute/)
    assert.throws(() => stateFromIdToken(config, 'not-a-jwt', NOW), /does not hold an ID token/)
  })
})

describe('the loopback listener (CL-14)', () => {
  test('a callback with the wrong state is answered 400 and ignored; the right one is taken once; a repeat is 400', async () => {
    const listener = await listenForCallback('127.0.0.1', 'the-state')
    try {
      assert.match(listener.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/)
      const forged = await fetch(`${listener.redirectUri}?code=evil&state=forged`)
      assert.equal(forged.status, 400)
      assert.match(await forged.text(), /does not belong to the sign-in in progress/)
      assert.equal((await fetch(`${listener.redirectUri.replace('/callback', '/other')}`)).status, 404)

      const real = fetch(`${listener.redirectUri}?code=good&state=the-state`)
      const { url, res } = await listener.callback
      assert.equal(url.searchParams.get('code'), 'good')
      res.end('taken')
      assert.equal(await (await real).text(), 'taken')

      const repeat = await fetch(`${listener.redirectUri}?code=good&state=the-state`)
      assert.equal(repeat.status, 400)
      assert.match(await repeat.text(), /already been handled/)
    } finally {
      listener.close()
    }
  })
})
