import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  generateSigningKey,
  InvalidRequestError,
  signAccessToken,
  signIdJag,
  verifySubjectAccessToken,
  type VerifySubjectAccessTokenOptions,
} from '../src/index.ts'

const AS = 'https://as.example.com'
const MCP = 'https://mcp.example.com/mcp'
const NOW = new Date('2025-06-01T12:00:00Z')
const asKey = await generateSigningKey()
const otherKey = await generateSigningKey()

const options = (overrides: Partial<VerifySubjectAccessTokenOptions> = {}): VerifySubjectAccessTokenOptions => ({
  issuer: AS,
  keys: [asKey],
  audience: MCP,
  now: NOW,
  clockSkewSeconds: 30,
  ...overrides,
})
const token = (extraClaims: Record<string, unknown> = {}, key = asKey, audience = MCP) =>
  signAccessToken({
    issuer: AS,
    subject: 'acme|u-1',
    audience,
    clientId: 'agent',
    scope: 'tasks.read',
    expiresInSeconds: 600,
    now: NOW,
    key,
    extraClaims,
  })

async function refused(promise: Promise<unknown>, description: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InvalidRequestError, `expected InvalidRequestError, got ${String(error)}`)
    assert.equal(error.status, 400)
    assert.match(error.description, description)
    return true
  })
}

test('OBO-02 OBO-09 verifies one of our own access tokens for the MCP server', async () => {
  const claims = await verifySubjectAccessToken(
    await token({ act: { sub: 'agent', act: { sub: 'x' } }, may_act: { sub: 'mcp' } }),
    options(),
  )
  assert.equal(claims.sub, 'acme|u-1')
  assert.equal(claims.aud, MCP)
  assert.deepEqual(claims.act, { sub: 'agent', act: { sub: 'x' } })
  assert.deepEqual(claims.may_act, { sub: 'mcp' })
})

test('OBO-09 refusals are invalid_request (RFC 8693 §2.2.2), never invalid_token', async () => {
  await refused(
    verifySubjectAccessToken(await token({}, otherKey), options()),
    /^the subject_token is not acceptable: no key of the access token issuer matches its "kid"/,
  )
  await refused(
    verifySubjectAccessToken(await token({}, asKey, 'https://api.example.com'), options()),
    /not for this resource/,
  )
  await refused(
    verifySubjectAccessToken(await token(), options({ now: new Date(NOW.getTime() + 3_600_000) })),
    /expired/,
  )
  await refused(verifySubjectAccessToken(await token(), options({ issuer: 'https://other.example' })), /not trusted/)
  const idJag = await signIdJag({
    issuer: AS,
    audience: AS,
    subject: 'u',
    clientId: 'agent',
    resource: MCP,
    now: NOW,
    key: asKey,
  })
  await refused(verifySubjectAccessToken(idJag, options()), /typ "oauth-id-jag\+jwt"; expected "at\+jwt"/)
  await refused(verifySubjectAccessToken('not-a-jwt', options()), /not a compact signed JWT/)
})

test('OBO-09 OBO-12 refuses malformed act and may_act claims and a multi-valued aud', async () => {
  await refused(verifySubjectAccessToken(await token({ act: 'agent' }), options()), /"act" claim must be a JSON object/)
  await refused(
    verifySubjectAccessToken(await token({ act: { sub: 'a', act: [] } }), options()),
    /"act" claim must be a JSON object/,
  )
  await refused(verifySubjectAccessToken(await token({ act: { sub: '' } }), options()), /string "sub"/)
  await refused(
    verifySubjectAccessToken(await token({ may_act: { sub: 1 } }), options()),
    /"may_act" claim must be an object/,
  )
  await refused(
    verifySubjectAccessToken(await token({ may_act: { sub: 'm', iss: 7 } }), options()),
    /"may_act" claim must be an object/,
  )
  // The app suite covers the aud array (negative-token-exchange-obo.test.ts): signAccessToken sets one aud.
})
