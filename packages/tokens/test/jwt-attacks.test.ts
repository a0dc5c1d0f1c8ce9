/**
 * The whole RFC 8725 attack catalogue (@ema/test-kit JWT_ATTACKS) against each verifier built on
 * verifyJwtStrictly, with the exact refusal each must give. The endpoints replay one attack per
 * family over HTTP (the negative suites of the three servers); this file is where every attack runs.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createLocalJWKSet } from 'jose'
import { JWT_BOUNDARIES, jwtAttackId, jwtAttacks, jwtForge, type AttackTarget, type JwtAttackIds } from '@ema/test-kit'
import {
  generateSigningKey,
  JWT_TYP,
  OAuthError,
  publicJwks,
  verifyAccessToken,
  verifyIdJag,
  verifyIdToken,
} from '../src/index.ts'

const IDP = 'https://idp.example.com'
const AS = 'https://as.example.com'
const RESOURCE = 'https://mcp.example.com/mcp'
const NOW = new Date('2025-06-01T12:00:00Z')
const T = Math.floor(NOW.getTime() / 1000)
const key = await generateSigningKey()
const attackerKey = await generateSigningKey()
const keys = createLocalJWKSet(publicJwks([key]))
const limits = { key, attackerKey, now: T, clockSkewSeconds: 30, maxLength: 8192 }

interface Verifier {
  /** The requirement each family proves for this kind of JWT. */
  ids: JwtAttackIds
  target: AttackTarget
  verify(token: string): Promise<unknown>
  refusal: { status: number; error: string }
}

const verifiers: Record<string, Verifier> = {
  'verifyIdJag (an ID-JAG at the authorization server)': {
    ids: {
      alg: 'AS-14',
      kid: 'AS-15',
      signature: 'AS-13',
      'key-headers': 'AS-15',
      crit: 'AS-33',
      shape: 'AS-11',
      size: 'AS-11',
      nesting: 'AS-31',
      duplicates: 'AS-33',
      'claim-types': 'AS-33',
      exp: 'AS-20',
      iat: 'AS-21',
      nbf: 'AS-22',
      lifetime: 'AS-21',
      iss: 'AS-16',
      typ: 'AS-12',
    },
    target: {
      ...limits,
      label: 'ID-JAG',
      typ: JWT_TYP.ID_JAG,
      maxLifetimeSeconds: 600,
      claims: () => ({
        iss: IDP,
        sub: 'u-1001',
        aud: AS,
        client_id: 'acme-agent-tasks',
        resource: RESOURCE,
        scope: 'tasks.read',
        jti: crypto.randomUUID(),
        iat: T,
        exp: T + 300,
      }),
    },
    verify: (token) =>
      verifyIdJag(token, { issuerKeys: (iss) => (iss === IDP ? keys : undefined), audience: AS, now: NOW }),
    refusal: { status: 400, error: 'invalid_grant' },
  },
  'verifyIdToken (an ID token as the subject token of a token exchange)': {
    ids: 'IDP-05',
    target: {
      ...limits,
      label: 'subject token',
      typ: JWT_TYP.CLIENT_ASSERTION,
      typMayBeAbsent: true,
      maxLifetimeSeconds: 3600,
      claims: () => ({ iss: IDP, sub: 'u-1001', aud: 'acme-agent', iat: T, exp: T + 600, auth_time: T, amr: ['pwd'] }),
    },
    verify: (token) =>
      verifyIdToken(token, {
        issuer: IDP,
        keys,
        audience: 'acme-agent',
        now: NOW,
        maxLifetimeSeconds: 3600,
        label: 'subject token',
      }),
    refusal: { status: 400, error: 'invalid_grant' },
  },
  'verifyAccessToken (an RFC 9068 access token at the MCP server)': {
    ids: {
      alg: 'RS-10',
      kid: 'RS-10',
      signature: 'RS-10',
      'key-headers': 'RS-10',
      crit: 'RS-10',
      shape: 'RS-08',
      size: 'RS-10',
      nesting: 'RS-10',
      duplicates: 'RS-10',
      'claim-types': 'RS-10',
      exp: 'RS-10',
      iat: 'RS-10',
      nbf: 'RS-10',
      lifetime: 'RS-10',
      iss: 'RS-11',
      typ: 'RS-11',
    },
    target: {
      ...limits,
      label: 'access token',
      typ: JWT_TYP.ACCESS_TOKEN,
      maxLifetimeSeconds: 86_400,
      claims: () => ({
        iss: AS,
        sub: 'acme|u-1001',
        aud: RESOURCE,
        client_id: 'acme-agent-tasks',
        scope: 'tasks.read',
        jti: crypto.randomUUID(),
        iat: T,
        exp: T + 600,
      }),
    },
    verify: (token) => verifyAccessToken(token, { issuer: AS, keys, audience: RESOURCE, now: NOW }),
    refusal: { status: 401, error: 'invalid_token' },
  },
}

for (const [name, { ids, target, verify, refusal }] of Object.entries(verifiers)) {
  describe(name, () => {
    test(`${jwtAttackId(ids, 'signature')} accepts the genuine token every attack starts from`, async () => {
      await verify(await jwtForge(target).sign())
    })
    for (const row of jwtAttacks(target)) {
      test(`${jwtAttackId(ids, row.family)} refuses ${row.attack}`, async () => {
        await assert.rejects(verify(await row.build(jwtForge(target))), (error: unknown) => {
          assert.ok(error instanceof OAuthError, `expected an OAuthError, got ${String(error)}`)
          assert.deepEqual(
            { status: error.status, error: error.error, description: error.description },
            { ...refusal, description: row.refusal(target) },
          )
          return true
        })
      })
    }
    for (const row of JWT_BOUNDARIES) {
      test(`${jwtAttackId(ids, row.family)} accepts ${row.boundary}`, async () => {
        await verify(await jwtForge(target).sign({ claims: row.claims(target) }))
      })
    }
  })
}

// SEC-22 (RFC 8725 §3.11, §3.12): explicit typing keeps the kinds apart. A genuine token of one kind,
// signed by a key every verifier here trusts, never passes another kind's verifier.
describe('one kind of JWT presented as another', () => {
  for (const [tokenKind, token] of Object.entries(verifiers)) {
    for (const [verifierKind, other] of Object.entries(verifiers)) {
      if (tokenKind === verifierKind) continue
      test(`SEC-22 ${verifierKind.split(' ')[0]} refuses a genuine ${token.target.label}`, async () => {
        await assert.rejects(other.verify(await jwtForge(token.target).sign()), (error: unknown) => {
          assert.ok(error instanceof OAuthError, `expected an OAuthError, got ${String(error)}`)
          assert.deepEqual({ status: error.status, error: error.error }, other.refusal)
          return true
        })
      })
    }
  }
})
