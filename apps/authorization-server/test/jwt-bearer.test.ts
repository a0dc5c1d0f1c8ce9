import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose'
import { generateSigningKey, JWT_TYP } from '@ema/tokens'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  decodeClaims,
  mintIdJag,
  readRefusal,
  redeem,
  RESOURCE,
  startAs,
  startIdp,
  unsignedJwt,
  type TestAs,
  type TestIdp,
  useJwtBearer,
} from './support/jwt-bearer.ts'

let idp: TestIdp
let as: TestAs
useJwtBearer(
  (suite) => ({ idp, as } = suite),
  () => ({ idp: { subjectNamespace: 'acme' } }),
)

/** Redeems `assertion` and asserts a refusal with `status` and `error`, and no access token. */
async function expectRefusal(
  assertion: string,
  expected: string | [error: string, description: RegExp],
  options: Parameters<typeof redeem>[2] = {},
) {
  const [error, description] = typeof expected === 'string' ? [expected, /./] : expected
  const refusal = await readRefusal(await redeem(as, assertion, options))
  assert.equal(refusal.status, 400)
  assert.equal(refusal.body.error, error)
  assert.match(String(refusal.body.error_description), description)
  assert.deepEqual(Object.keys(refusal.body).sort(), ['error', 'error_description'])
  return refusal.body
}

const now = () => Math.floor(Date.now() / 1000)

describe('successful response', () => {
  test('AS-35 AS-36 AS-37 AS-39 redeems an ID-JAG for a short-lived RFC 9068 access token restricted to the MCP server', async () => {
    const res = await redeem(as, await mintIdJag(idp, as))
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('cache-control'), 'no-store') // AS-35
    assert.equal(res.headers.get('pragma'), 'no-cache')
    const body = (await res.json()) as Record<string, unknown>
    assert.equal(body.token_type, 'Bearer')
    assert.equal(body.expires_in, 600) // AS-39
    assert.equal(body.scope, 'tasks.read tasks.write') // AS-36
    assert.equal(body.resource, RESOURCE) // AS-36
    assert.equal(body.refresh_token, undefined) // AS-38
    assert.equal(typeof body.access_token, 'string')

    const accessToken = body.access_token as string
    assert.equal(decodeProtectedHeader(accessToken).typ, JWT_TYP.ACCESS_TOKEN)
    const { payload } = await jwtVerify(accessToken, createRemoteJWKSet(new URL(`${as.url}/jwks`)), {
      issuer: as.url,
      audience: RESOURCE, // AS-37
      typ: JWT_TYP.ACCESS_TOKEN,
    })
    assert.equal(payload.aud, RESOURCE)
    assert.equal(payload.sub, 'acme|u-1001') // AS-19, AS-40: our identifier for the user
    assert.equal(payload.client_id, CLIENT_ID)
    assert.equal(payload.scope, 'tasks.read tasks.write')
    assert.equal(payload.idp, idp.issuer)
    assert.equal(payload.idp_sub, 'u-1001')
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 600)
  })

  test('AS-38 never returns a refresh_token', async () => {
    const body = (await (await redeem(as, await mintIdJag(idp, as))).json()) as Record<string, unknown>
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'resource', 'scope', 'token_type'])
  })

  test('SEC never logs the assertion or the access token', async () => {
    const assertion = await mintIdJag(idp, as)
    const body = (await (await redeem(as, assertion)).json()) as { access_token: string }
    const logs = as.logs.join('\n')
    assert.ok(!logs.includes(assertion))
    assert.ok(!logs.includes(assertion.split('.')[1] ?? '-'))
    assert.ok(!logs.includes(body.access_token))
    assert.match(logs, /issued an access token/)
  })
})

describe('ID-JAG validation', () => {
  test('AS-12 rejects a JWT whose typ is not oauth-id-jag+jwt', async () => {
    await expectRefusal(await mintIdJag(idp, as, { header: { typ: 'JWT' } }), ['invalid_grant', /typ/])
  })

  test('AS-12 rejects an access token presented as an ID-JAG', async () => {
    await expectRefusal(await mintIdJag(idp, as, { header: { typ: 'at+jwt' } }), ['invalid_grant', /typ/])
  })

  test('AS-13 rejects an ID-JAG whose signature does not verify with the IdP keys', async () => {
    await expectRefusal(await mintIdJag(idp, as, { signWith: await generateSigningKey('ES256') }), [
      'invalid_grant',
      /signature/,
    ])
  })

  test('AS-14 rejects alg none', async () => {
    const claims = {
      iss: idp.issuer,
      sub: 'u-1001',
      aud: as.url,
      client_id: CLIENT_ID,
      jti: 'n1',
      iat: now(),
      exp: now() + 300,
    }
    await expectRefusal(unsignedJwt({ typ: JWT_TYP.ID_JAG }, claims), ['invalid_grant', /not a compact signed JWT/])
  })

  test('AS-14 rejects HS256', async () => {
    const hs = await new SignJWT({
      sub: 'u-1001',
      aud: as.url,
      client_id: CLIENT_ID,
      jti: crypto.randomUUID(),
      resource: RESOURCE,
      scope: 'tasks.read',
    })
      .setProtectedHeader({ alg: 'HS256', typ: JWT_TYP.ID_JAG })
      .setIssuer(idp.issuer)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!'))
    await expectRefusal(hs, ['invalid_grant', /HS256/])
  })

  test('AS-16 rejects an ID-JAG from an issuer that is not trusted', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { iss: 'http://localhost:1/evil-idp' } }), [
      'invalid_grant',
      /not trusted/,
    ])
  })

  test('SEC-18 AS-16 trust comes from iss alone: an untrusted iss is refused even with a sub_id naming the trusted IdP', async () => {
    const subId = { format: 'iss_sub', iss: idp.issuer, sub: 'u-1001' }
    await expectRefusal(await mintIdJag(idp, as, { claims: { iss: 'http://localhost:1/evil-idp', sub_id: subId } }), [
      'invalid_grant',
      /not trusted/,
    ])
  })

  test('SEC-18 AS-19 a sub_id naming another issuer and user changes nothing: the subject comes from iss and sub', async () => {
    const subId = { format: 'iss_sub', iss: 'http://localhost:1/evil-idp', sub: 'u-9999' }
    const res = await redeem(as, await mintIdJag(idp, as, { claims: { sub_id: subId } }))
    assert.equal(res.status, 200)
    const { access_token: accessToken } = (await res.json()) as { access_token: string }
    const claims = decodeClaims(accessToken)
    assert.equal(claims.sub, 'acme|u-1001')
    assert.equal(claims.idp, idp.issuer)
    assert.equal(claims.idp_sub, 'u-1001')
    assert.equal(claims.sub_id, undefined)
  })

  test('AS-17 rejects an aud array with two values', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { aud: [as.url, 'http://localhost:4999'] } }), [
      'invalid_grant',
      /exactly one/,
    ])
  })

  test('AS-17 accepts an aud array with exactly our issuer', async () => {
    const res = await redeem(as, await mintIdJag(idp, as, { claims: { aud: [as.url] } }))
    assert.equal(res.status, 200)
  })

  test('AS-17 AS-32 SEC-16 rejects an ID-JAG whose aud is another authorization server', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { aud: 'http://localhost:4999' } }), [
      'invalid_grant',
      /audience/,
    ])
  })

  test('AS-17 rejects an aud with a trailing slash (exact match, ambiguity 5)', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { aud: `${as.url}/` } }), ['invalid_grant', /audience/])
  })

  test('AS-18 rejects an ID-JAG issued to a different client', async () => {
    const body = await expectRefusal(
      await mintIdJag(idp, as, { claims: { client_id: 'someone-else' } }),
      'invalid_grant',
    )
    assert.equal(body.error_description, 'the ID-JAG was issued to another client')
  })

  test('AS-18 rejects an ID-JAG without client_id', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { client_id: undefined } }), ['invalid_grant', /client_id/])
  })

  test('AS-19 rejects an ID-JAG without sub', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { sub: undefined } }), ['invalid_grant', /"sub"/])
  })

  test('AS-20 rejects an expired ID-JAG', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { iat: now() - 400, exp: now() - 100 } }), [
      'invalid_grant',
      /expired/,
    ])
  })

  test('AS-20 rejects an ID-JAG without exp', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { exp: undefined } }), ['invalid_grant', /exp/])
  })

  test('AS-21 rejects an iat in the future beyond the skew', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { iat: now() + 120, exp: now() + 400 } }), [
      'invalid_grant',
      /future/,
    ])
  })

  test('AS-21 rejects an ID-JAG that lives longer than allowed', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { exp: now() + 3600 } }), ['invalid_grant', /lives/])
  })

  test('AS-22 rejects an ID-JAG before its nbf', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { nbf: now() + 120 } }), ['invalid_grant', /nbf/])
  })

  test('AS-23 rejects an ID-JAG without jti', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { jti: undefined } }), ['invalid_grant', /jti/])
  })

  test('AS-11 rejects an assertion that is not a JWT', async () => {
    await expectRefusal('not-a-jwt', 'invalid_grant')
  })
})

describe('replay (AS-23)', () => {
  test('AS-23 rejects a replayed jti', async () => {
    const assertion = await mintIdJag(idp, as)
    assert.equal((await redeem(as, assertion)).status, 200)
    const body = await expectRefusal(assertion, 'invalid_grant')
    assert.equal(body.error_description, 'this ID-JAG was already used')
  })

  test('AS-23 rejects a second ID-JAG reusing the jti of a redeemed one', async () => {
    const jti = crypto.randomUUID()
    assert.equal((await redeem(as, await mintIdJag(idp, as, { claims: { jti } }))).status, 200)
    await expectRefusal(await mintIdJag(idp, as, { claims: { jti, scope: 'tasks.read' } }), [
      'invalid_grant',
      /already used/,
    ])
  })

  test('AS-23 20 concurrent redemptions of one ID-JAG give exactly one success', async () => {
    const assertion = await mintIdJag(idp, as)
    const responses = await Promise.all(Array.from({ length: 20 }, () => redeem(as, assertion)))
    const statuses = responses.map((res) => res.status)
    assert.equal(statuses.filter((s) => s === 200).length, 1)
    assert.equal(statuses.filter((s) => s === 400).length, 19)
    const bodies = (await Promise.all(responses.map((res) => res.json()))) as Array<Record<string, unknown>>
    assert.equal(bodies.filter((b) => typeof b.access_token === 'string').length, 1)
    assert.ok(bodies.filter((b) => b.error !== undefined).every((b) => b.error === 'invalid_grant'))
  })

  test('AS-23 a refused redemption does not burn the ID-JAG', async () => {
    const assertion = await mintIdJag(idp, as, { claims: { scope: 'tasks.read' } })
    await expectRefusal(assertion, 'invalid_scope', { scope: 'tasks.write' })
    assert.equal((await redeem(as, assertion)).status, 200)
  })
})

describe('resource (AS-24, AS-25)', () => {
  test('AS-24 rejects a resource that is not a registered MCP server', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { resource: 'http://localhost:4999/other-mcp' } }), [
      'invalid_grant',
      /not an MCP server/,
    ])
  })

  test('AS-24 rejects a resource array naming two MCP servers', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { resource: [RESOURCE, 'http://localhost:4999/mcp'] } }), [
      'invalid_grant',
      /exactly one MCP server/,
    ])
  })

  test('AS-25 defaults an absent resource to the only registered MCP server', async () => {
    const res = await redeem(as, await mintIdJag(idp, as, { claims: { resource: undefined } }))
    assert.equal(res.status, 200)
    assert.equal(((await res.json()) as Record<string, unknown>).resource, RESOURCE)
  })

  test('AS-24 accepts a resource parameter equal to the ID-JAG resource (ambiguity 6)', async () => {
    const res = await redeem(as, await mintIdJag(idp, as), { resource: RESOURCE })
    assert.equal(res.status, 200)
  })

  test('AS-24 SEC-10 rejects a resource parameter that differs from the ID-JAG resource with invalid_target (ambiguity 6)', async () => {
    await expectRefusal(await mintIdJag(idp, as), 'invalid_target', { resource: 'http://localhost:4999/mcp' })
  })

  test('AS-07 rejects a duplicated resource parameter with invalid_request', async () => {
    await expectRefusal(await mintIdJag(idp, as), 'invalid_request', {
      resource: RESOURCE,
      extra: [['resource', RESOURCE]],
    })
  })
})

describe('sender-constrained ID-JAGs (AS-29)', () => {
  test('AS-29 SEC-20 refuses an ID-JAG bound to a key (cnf) when no DPoP proof can be validated, and does not burn it', async () => {
    const jti = crypto.randomUUID()
    const bound = await mintIdJag(idp, as, {
      claims: { jti, cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } },
    })
    await expectRefusal(bound, ['invalid_grant', /bound to a key \("cnf"\)/])
    // The refusal happened before the replay store: the same jti, unbound, is still redeemable.
    const res = await redeem(as, await mintIdJag(idp, as, { claims: { jti } }))
    assert.equal(res.status, 200)
  })
})

describe('scope (AS-26, AS-27)', () => {
  test('AS-26 rejects an ID-JAG granting a scope the MCP server does not define', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { scope: 'tasks.read admin.all' } }), [
      'invalid_grant',
      /admin\.all/,
    ])
  })

  test('AS-27 narrows the issued scope to the requested scope', async () => {
    const res = await redeem(as, await mintIdJag(idp, as), { scope: 'tasks.read' })
    assert.equal(res.status, 200)
    const body = (await res.json()) as { scope: string; access_token: string }
    assert.equal(body.scope, 'tasks.read')
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1] ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >
    assert.equal(claims.scope, 'tasks.read')
  })

  test('AS-27 AS-35 a request wider than the ID-JAG is narrowed to it, and scope says so', async () => {
    const res = await redeem(as, await mintIdJag(idp, as, { claims: { scope: 'tasks.read' } }), {
      scope: 'tasks.read tasks.write',
    })
    assert.equal(res.status, 200)
    const body = (await res.json()) as { scope: string; access_token: string }
    assert.equal(body.scope, 'tasks.read')
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1] ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >
    assert.equal(claims.scope, 'tasks.read')
  })

  test('AS-27 refuses with invalid_scope a request of which the ID-JAG grants nothing', async () => {
    await expectRefusal(
      await mintIdJag(idp, as, { claims: { scope: 'tasks.read' } }),
      ['invalid_scope', /none of the requested scopes "tasks.write"/],
      { scope: 'tasks.write' },
    )
  })

  test('AS-27 rejects an ID-JAG that grants no scope with invalid_scope', async () => {
    await expectRefusal(await mintIdJag(idp, as, { claims: { scope: undefined } }), [
      'invalid_scope',
      /grants no scope/,
    ])
  })
})

describe('trusting another IdP (AS-16)', () => {
  test('AS-16 a second trusted IdP, one that is not ours, is a configuration change only', async () => {
    const other = await startIdp({ issuerPath: '/tenant/acme', jwksPath: '/oauth2/v1/keys' })
    const both = await startAs([idp, other])
    try {
      const res = await redeem(both, await mintIdJag(other, both))
      assert.equal(res.status, 200)
      const body = (await res.json()) as { access_token: string }
      const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1] ?? '', 'base64url').toString()) as Record<
        string,
        unknown
      >
      assert.equal(claims.idp, other.issuer)
      assert.equal(claims.sub, `${other.issuer}|u-1001`) // AS-19: subject_namespace defaults to the issuer
      assert.equal((await redeem(both, await mintIdJag(idp, both))).status, 200)
      // The keys stay bound to their issuer: the other IdP cannot sign for ours.
      const forged = await mintIdJag(idp, both, { signWith: other.key, header: { kid: other.key.kid } })
      const refusal = await readRefusal(await redeem(both, forged))
      assert.equal(refusal.status, 400)
      assert.equal(refusal.body.error, 'invalid_grant')
    } finally {
      await both.close()
      await other.close()
    }
  })
})

describe('local subjects and client relationships (AS-16, AS-19, AS-40)', () => {
  test('AS-19 AS-40 the same sub from two trusted IdPs becomes two different subjects', async () => {
    const partner = await startIdp({ issuerPath: '/tenant/42', subjectNamespace: 'partner' })
    const both = await startAs([idp, partner])
    try {
      const fromAcme = await redeem(both, await mintIdJag(idp, both, { claims: { sub: 'u-1001' } }))
      const fromPartner = await redeem(both, await mintIdJag(partner, both, { claims: { sub: 'u-1001' } }))
      assert.equal(fromAcme.status, 200)
      assert.equal(fromPartner.status, 200)
      const acmeClaims = decodeClaims(((await fromAcme.json()) as { access_token: string }).access_token)
      const partnerClaims = decodeClaims(((await fromPartner.json()) as { access_token: string }).access_token)
      assert.notEqual(acmeClaims.sub, partnerClaims.sub)
      assert.deepEqual([acmeClaims.sub, acmeClaims.idp, acmeClaims.idp_sub], ['acme|u-1001', idp.issuer, 'u-1001'])
      assert.deepEqual(
        [partnerClaims.sub, partnerClaims.idp, partnerClaims.idp_sub],
        ['partner|u-1001', partner.issuer, 'u-1001'],
      )
    } finally {
      await both.close()
      await partner.close()
    }
  })

  test('AS-16 an IdP may not vouch for a client outside its client_ids', async () => {
    const PARTNER_CLIENT = 'partner-agent'
    const partner = await startIdp({
      issuerPath: '/tenant/42',
      subjectNamespace: 'partner',
      clientIds: [PARTNER_CLIENT],
    })
    const acme = await startIdp({ subjectNamespace: 'acme', clientIds: [CLIENT_ID] })
    const both = await startAs([acme, partner], {
      CLIENTS: JSON.stringify([
        { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token_endpoint_auth_method: 'client_secret_basic' },
        {
          client_id: PARTNER_CLIENT,
          client_secret: 'partner-secret',
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ]),
    })
    try {
      // The partner IdP is trusted, but only for partner-agent: it cannot speak for acme-agent-tasks.
      const jti = crypto.randomUUID()
      const assertion = await mintIdJag(partner, both, { claims: { client_id: CLIENT_ID, jti } })
      const refusal = await readRefusal(await redeem(both, assertion))
      assert.equal(refusal.status, 400)
      assert.deepEqual(refusal.body, {
        error: 'invalid_grant',
        error_description: `issuer ${partner.issuer} may not vouch for client ${CLIENT_ID} at this authorization server`,
      })
      // The refusal came before the replay store (AS-23): the partner's iss + jti is still unused.
      const partnerAuth = { method: 'client_secret_basic', clientId: PARTNER_CLIENT, secret: 'partner-secret' } as const
      const legitimate = await mintIdJag(partner, both, { claims: { client_id: PARTNER_CLIENT, jti } })
      assert.equal((await redeem(both, legitimate, { auth: partnerAuth })).status, 200)
      // Nor can acme speak for partner-agent; each still vouches for its own client.
      const crossed = await mintIdJag(acme, both, { claims: { client_id: PARTNER_CLIENT } })
      assert.equal((await readRefusal(await redeem(both, crossed, { auth: partnerAuth }))).body.error, 'invalid_grant')
      assert.equal((await redeem(both, await mintIdJag(acme, both))).status, 200)
    } finally {
      await both.close()
      await partner.close()
      await acme.close()
    }
  })
})
