import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { GRANT_TYPE, TOKEN_TYPE } from '@ema/tokens'
import { decodeJwt } from 'jose'
import {
  ACME_AGENT,
  AS_ISSUER,
  OTHER_APP,
  RS_RESOURCE,
  authenticate,
  exchange,
  signInWithRefreshToken,
  type ClientAuth,
  type TestIdp,
  useIdp,
} from './support/idp.ts'

let idp: TestIdp
let alice: { idToken: string; refreshToken: string }

useIdp(async (started) => {
  idp = started
  alice = await signInWithRefreshToken(idp, { client: ACME_AGENT, username: 'alice', password: 'alice-password' })
})

/** An RFC 8693 token exchange with a refresh token as the subject token (CL-19, CL-24, CL-25). */
function exchangeRefreshToken(
  refreshToken: string,
  params: Record<string, string> = {},
  auth: ClientAuth = ACME_AGENT,
): ReturnType<typeof exchange> {
  return exchange(idp, { subject_token: refreshToken, subject_token_type: TOKEN_TYPE.REFRESH_TOKEN, ...params }, auth)
}

/** A refusal: the status, the wire error code, a description, and no ID-JAG. */
function assertInvalidGrant(res: { status: number; body: Record<string, unknown> }, description: RegExp): void {
  assert.equal(res.status, 400, JSON.stringify(res.body))
  assert.equal(res.body.error, 'invalid_grant')
  assert.match(String(res.body.error_description), description)
  assert.equal(res.body.access_token, undefined)
}

/** The directory user with this username (the test IdP's config is the live directory). */
function directoryUser(username: string): TestIdp['config']['users'][number] {
  const user = idp.config.users.find((candidate) => candidate.username === username)
  assert.ok(user !== undefined)
  return user
}

test('IDP-04 IDP-07 a refresh token of the calling client is exchanged for an ID-JAG', async () => {
  const res = await exchangeRefreshToken(alice.refreshToken, { scope: 'tasks.read tasks.write' })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.issued_token_type, TOKEN_TYPE.ID_JAG)
  assert.equal(res.body.refresh_token, undefined) // IDP-35
  const idJag = res.body.access_token
  assert.equal(typeof idJag, 'string')
  if (typeof idJag !== 'string') return
  const payload = decodeJwt(idJag)
  assert.equal(payload.iss, idp.url)
  assert.equal(payload.sub, 'u-1001') // IDP-08: alice, from the directory
  assert.equal(payload.aud, AS_ISSUER)
  assert.equal(payload.client_id, 'acme-agent-tasks') // IDP-21
  assert.equal(payload.resource, RS_RESOURCE)
  assert.equal(payload.scope, 'tasks.read tasks.write') // IDP-19: engineering's scopes
  assert.deepEqual(payload.amr, ['pwd']) // IDP-45, from the refresh token
  assert.equal(typeof payload.auth_time, 'number')
})

test('IDP-07 the exchange neither consumes nor rotates the refresh token', async () => {
  const { refreshToken } = await signInWithRefreshToken(idp, {
    client: ACME_AGENT,
    username: 'alice',
    password: 'alice-password',
  })
  assert.equal((await exchangeRefreshToken(refreshToken)).status, 200)
  assert.equal((await exchangeRefreshToken(refreshToken)).status, 200)
  // The client can still use it at oidc-provider's own refresh_token grant.
  const body = new URLSearchParams({ grant_type: GRANT_TYPE.REFRESH_TOKEN, refresh_token: refreshToken })
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  await authenticate(idp, ACME_AGENT, body, headers)
  const res = await fetch(new URL('/token', idp.url), { method: 'POST', headers, body })
  assert.equal(res.status, 200, await res.clone().text())
})

test('IDP-07 a refresh token of another client is invalid_grant', async () => {
  const otherApps = await signInWithRefreshToken(idp, {
    client: OTHER_APP,
    username: 'alice',
    password: 'alice-password',
  })
  assertInvalidGrant(await exchangeRefreshToken(otherApps.refreshToken), /another client/)
  // … and the reverse: acme-agent's refresh token presented by other-app.
  assertInvalidGrant(await exchangeRefreshToken(alice.refreshToken, {}, OTHER_APP), /another client/)
})

test('IDP-07 an unknown / garbage refresh token is invalid_grant', async () => {
  for (const garbage of ['garbage', 'A'.repeat(43), `${alice.refreshToken}x`, alice.refreshToken.slice(0, -1)]) {
    assertInvalidGrant(await exchangeRefreshToken(garbage), /not a refresh token this IdP holds/)
  }
})

test('IDP-07 an expired refresh token is invalid_grant', async () => {
  const { refreshToken } = await signInWithRefreshToken(idp, {
    client: ACME_AGENT,
    username: 'alice',
    password: 'alice-password',
  })
  // oidc-provider and its in-memory store read Date.now(); move it past the refresh token's 8-hour
  // lifetime. The store drops the expired token, so this exercises the "not held" refusal.
  mock.timers.enable({ apis: ['Date'], now: Date.now() + 9 * 3600 * 1000 })
  try {
    assertInvalidGrant(await exchangeRefreshToken(refreshToken), /expired/)
  } finally {
    mock.timers.reset()
  }
})

test('IDP-07 a refresh token presented with subject_token_type id_token is invalid_grant', async () => {
  const res = await exchange(idp, { subject_token: alice.refreshToken, subject_token_type: TOKEN_TYPE.ID_TOKEN })
  assert.equal(res.status, 400, JSON.stringify(res.body))
  assert.equal(res.body.error, 'invalid_grant')
  assert.equal(res.body.access_token, undefined)
})

test('IDP-07 an ID token presented with subject_token_type refresh_token is invalid_grant', async () => {
  assertInvalidGrant(await exchangeRefreshToken(alice.idToken), /not a refresh token this IdP holds/)
})

test('IDP-07 a refresh token whose account left the directory is invalid_grant', async () => {
  const { refreshToken } = await signInWithRefreshToken(idp, {
    client: ACME_AGENT,
    username: 'carol',
    password: 'carol-password',
  })
  const carol = directoryUser('carol')
  const index = idp.config.users.indexOf(carol)
  idp.config.users.splice(index, 1)
  try {
    assertInvalidGrant(await exchangeRefreshToken(refreshToken), /user this IdP does not know/)
  } finally {
    idp.config.users.splice(index, 0, carol)
  }
})

test("IDP-08 the ID-JAG reflects the user's current groups", async () => {
  const { refreshToken } = await signInWithRefreshToken(idp, {
    client: ACME_AGENT,
    username: 'bob',
    password: 'bob-password',
  })
  const before = await exchangeRefreshToken(refreshToken)
  assert.equal(before.status, 200, JSON.stringify(before.body))
  assert.equal(before.body.scope, 'tasks.read') // sales

  const bob = directoryUser('bob')
  const groups = bob.groups
  bob.groups = ['engineering'] // bob moves to engineering after signing in
  try {
    const after = await exchangeRefreshToken(refreshToken)
    assert.equal(after.status, 200, JSON.stringify(after.body))
    assert.equal(after.body.scope, 'tasks.read tasks.write')
    const idJag = after.body.access_token
    assert.ok(typeof idJag === 'string')
    assert.equal(decodeJwt(idJag).scope, 'tasks.read tasks.write')
  } finally {
    bob.groups = groups
  }
})
