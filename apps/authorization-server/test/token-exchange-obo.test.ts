/**
 * The on-behalf-of token exchange at the authorization server (OBO-02 … OBO-16), the accepted side:
 * what an MCP server's client gets, checked on the wire. The refusals are in
 * negative-token-exchange-obo.test.ts.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createLocalJWKSet, SignJWT } from 'jose'
import { GRANT_TYPE, JWT_TYP, TOKEN_TYPE, generateSigningKey, publicJwks, verifyAccessToken } from '@ema/tokens'
import { listen, type Listening } from '@ema/server-kit'
import {
  AGENT,
  CALENDAR_API,
  MCP_CLIENT,
  MCP_SERVER,
  OFF_CLIENT,
  READ_ONLY_CLIENT,
  TASKS_API,
  decodeJwtParts,
  exchange,
  mintSubjectToken,
  startOboAs,
  useOboAs,
  type OboAs,
} from './support/on-behalf-of.ts'

let as: OboAs

useOboAs((started) => (as = started))

/** Verifies an issued token with the server's published JWKS, as the downstream API does (OBO-18). */
async function verifyAtApi(token: string, audience: string) {
  const jwks = (await (await fetch(`${as.url}/jwks`)).json()) as { keys: Array<Record<string, unknown>> }
  return verifyAccessToken(token, {
    issuer: as.url,
    keys: createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]),
    audience,
    now: new Date(),
  })
}

async function accepted(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text()
  assert.equal(res.status, 200, text)
  return JSON.parse(text) as Record<string, unknown>
}

describe('the exchange on the wire', () => {
  test('OBO-03 OBO-04 OBO-12 OBO-15 exchanges the MCP access token for a Tasks API token that keeps the user and names the actors', async () => {
    const subjectToken = await mintSubjectToken(as)
    const subject = decodeJwtParts(subjectToken).claims
    const res = await exchange(as, subjectToken)
    const body = await accepted(res)
    // OBO-15: the RFC 8693 §2.2.1 response, no refresh_token, not cacheable.
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'expires_in',
      'issued_token_type',
      'scope',
      'token_type',
    ])
    assert.equal(body.issued_token_type, TOKEN_TYPE.ACCESS_TOKEN)
    assert.equal(body.token_type, 'Bearer')
    assert.equal(body.scope, 'tasks.read tasks.write')
    assert.equal(typeof body.expires_in, 'number')
    assert.match(res.headers.get('cache-control') ?? '', /no-store/)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)

    const token = String(body.access_token)
    const { header, claims } = decodeJwtParts(token)
    assert.equal(header.typ, JWT_TYP.ACCESS_TOKEN)
    assert.equal(header.alg, 'ES256')
    const verified = await verifyAtApi(token, TASKS_API)
    // OBO-12: same user, the API as audience, the MCP server's client, the actor chain.
    assert.equal(verified.iss, as.url)
    assert.equal(verified.sub, subject.sub)
    assert.equal(verified.aud, TASKS_API)
    assert.equal(verified.client_id, MCP_CLIENT.id)
    assert.deepEqual(claims.act, { sub: MCP_CLIENT.id, act: { sub: AGENT.id } })
    assert.equal(verified.scope, 'tasks.read tasks.write')
    assert.equal(claims.idp, subject.idp)
    assert.equal(claims.idp_sub, subject.idp_sub)
    assert.notEqual(claims.jti, subject.jti)
    assert.ok(Number(claims.exp) <= Number(subject.exp), 'never outlives the subject token')
    assert.equal(Number(claims.exp) - Number(claims.iat), body.expires_in)
    assert.equal(claims.cnf, undefined, 'a secret-authenticated client gets an unbound token')
  })

  test('OBO-01 OBO-12 the issued token is not accepted where the subject token was (its aud is the API, not the MCP server)', async () => {
    const body = await accepted(await exchange(as, await mintSubjectToken(as)))
    await assert.rejects(verifyAtApi(String(body.access_token), MCP_SERVER), /not for this resource/)
  })

  test('OBO-12 the issued token lives no longer than the subject token has left', async () => {
    const now = Math.floor(Date.now() / 1000)
    const body = await accepted(
      await exchange(as, await mintSubjectToken(as, { claims: { iat: now - 500, exp: now + 100 } })),
    )
    assert.ok(Number(body.expires_in) <= 100, `expires_in ${String(body.expires_in)}`)
    assert.ok(Number(decodeJwtParts(String(body.access_token)).claims.exp) <= now + 100)
  })

  test('OBO-15 never returns a refresh token', async () => {
    const body = await accepted(await exchange(as, await mintSubjectToken(as)))
    assert.equal(body.refresh_token, undefined)
  })

  test('OBO-07 client_secret_post authenticates the MCP server as well as client_secret_basic', async () => {
    const body = await accepted(
      await exchange(as, await mintSubjectToken(as), { auth: { method: 'client_secret_post', ...MCP_CLIENT } }),
    )
    assert.equal(decodeJwtParts(String(body.access_token)).claims.client_id, MCP_CLIENT.id)
  })
})

describe('naming the downstream API (OBO-05)', () => {
  const cases: Array<{ name: string; params: Record<string, string | undefined>; extra?: Array<[string, string]> }> = [
    { name: 'audience alone', params: {} },
    { name: 'resource alone', params: { audience: undefined, resource: TASKS_API } },
    { name: 'audience and resource naming the same API', params: { resource: TASKS_API } },
    { name: 'audience repeated with the same value', params: {}, extra: [['audience', TASKS_API]] },
    { name: 'no requested_token_type (OBO-04 is optional in RFC 8693)', params: { requested_token_type: undefined } },
  ]
  for (const { name, params, extra } of cases) {
    test(`OBO-05 accepts ${name}`, async () => {
      const body = await accepted(
        await exchange(as, await mintSubjectToken(as), { params, ...(extra === undefined ? {} : { extra }) }),
      )
      assert.equal(decodeJwtParts(String(body.access_token)).claims.aud, TASKS_API)
    })
  }
})

describe('scopes (OBO-06, OBO-10)', () => {
  test('OBO-06 down-scopes to the requested scope', async () => {
    const body = await accepted(await exchange(as, await mintSubjectToken(as), { params: { scope: 'tasks.read' } }))
    assert.equal(body.scope, 'tasks.read')
    assert.equal(decodeJwtParts(String(body.access_token)).claims.scope, 'tasks.read')
  })

  test('OBO-06 without scope, grants what the subject token carries and no more', async () => {
    const body = await accepted(await exchange(as, await mintSubjectToken(as, { claims: { scope: 'tasks.read' } })))
    assert.equal(body.scope, 'tasks.read')
  })

  test("OBO-10 without scope, grants only what the client's grant at the API allows", async () => {
    const body = await accepted(
      await exchange(as, await mintSubjectToken(as), { auth: { method: 'client_secret_basic', ...READ_ONLY_CLIENT } }),
    )
    assert.equal(body.scope, 'tasks.read')
  })

  test('OBO-10 the per-API scope mapping turns the inbound tasks.read into calendar.read, and nothing else', async () => {
    const body = await accepted(await exchange(as, await mintSubjectToken(as), { params: { audience: CALENDAR_API } }))
    assert.equal(body.scope, 'calendar.read')
    assert.equal(decodeJwtParts(String(body.access_token)).claims.aud, CALENDAR_API)
  })
})

describe('the actor chain and may_act (OBO-11, OBO-12, OBO-16)', () => {
  test('OBO-12 a subject token that already has act is nested one level deeper', async () => {
    const subjectToken = await mintSubjectToken(as, {
      claims: { client_id: 'gateway', act: { sub: 'gateway', act: { sub: 'orchestrator' } } },
    })
    const body = await accepted(await exchange(as, subjectToken))
    assert.deepEqual(decodeJwtParts(String(body.access_token)).claims.act, {
      sub: MCP_CLIENT.id,
      act: { sub: 'gateway', act: { sub: 'orchestrator' } },
    })
  })

  test('OBO-12 OBO-14 a subject act whose current actor is not its client_id keeps both, and only sub/iss of each actor', async () => {
    const subjectToken = await mintSubjectToken(as, {
      claims: { act: { sub: 'helper', exp: 1, aud: 'x', iss: 'https://elsewhere.example' } },
    })
    const body = await accepted(await exchange(as, subjectToken))
    assert.deepEqual(decodeJwtParts(String(body.access_token)).claims.act, {
      sub: MCP_CLIENT.id,
      act: { sub: AGENT.id, act: { sub: 'helper', iss: 'https://elsewhere.example' } },
    })
  })

  test('OBO-16 accepts a chain of exactly the limit (5 actors)', async () => {
    const act = { sub: AGENT.id, act: { sub: 'a2', act: { sub: 'a3', act: { sub: 'a4' } } } }
    const body = await accepted(await exchange(as, await mintSubjectToken(as, { claims: { act } })))
    let depth = 0
    for (
      let actor = decodeJwtParts(String(body.access_token)).claims.act as { act?: unknown } | undefined;
      actor !== undefined;
      actor = actor.act as { act?: unknown } | undefined
    )
      depth++
    assert.equal(depth, 5)
  })

  test('OBO-11 may_act naming the exchanging client is honoured', async () => {
    const body = await accepted(
      await exchange(as, await mintSubjectToken(as, { claims: { may_act: { sub: MCP_CLIENT.id } } })),
    )
    assert.equal(decodeJwtParts(String(body.access_token)).claims.client_id, MCP_CLIENT.id)
  })

  test('OBO-11 may_act naming the exchanging client and this issuer is honoured', async () => {
    await accepted(
      await exchange(as, await mintSubjectToken(as, { claims: { may_act: { sub: MCP_CLIENT.id, iss: as.url } } })),
    )
  })
})

describe('the per-client switch (OBO-10), both sides', () => {
  test('OBO-10 the same request succeeds for the switched-on client and is unauthorized_client for the switched-off one', async () => {
    const subjectToken = await mintSubjectToken(as)
    await accepted(await exchange(as, subjectToken, { auth: { method: 'client_secret_basic', ...MCP_CLIENT } }))
    const off = await exchange(as, subjectToken, { auth: { method: 'client_secret_basic', ...OFF_CLIENT } })
    const body = (await off.json()) as Record<string, unknown>
    assert.equal(off.status, 400)
    assert.equal(body.error, 'unauthorized_client')
    assert.match(
      String(body.error_description),
      /not switched on for the on-behalf-of token exchange.*on_behalf_of_token_exchange/,
    )
    assert.equal(body.access_token, undefined)
  })

  test('OBO-10 a client with no token_exchange at all (the original agent) is unauthorized_client', async () => {
    const res = await exchange(as, await mintSubjectToken(as), { auth: { method: 'client_secret_basic', ...AGENT } })
    const body = (await res.json()) as Record<string, unknown>
    assert.equal(res.status, 400)
    assert.equal(body.error, 'unauthorized_client')
  })
})

test('OBO-03 the metadata advertises the token exchange grant next to jwt-bearer', async () => {
  const metadata = (await (await fetch(`${as.url}/.well-known/oauth-authorization-server`)).json()) as Record<
    string,
    unknown
  >
  assert.ok((metadata.grant_types_supported as string[]).includes(GRANT_TYPE.TOKEN_EXCHANGE))
  assert.ok((metadata.grant_types_supported as string[]).includes(GRANT_TYPE.JWT_BEARER))
  assert.equal(metadata.mtls_endpoint_aliases, undefined, 'no alias without AS_MTLS_*')
})

test('OBO-02 OBO-12 the whole chain: an ID-JAG redeemed for an MCP access token, exchanged for a Tasks API token', async () => {
  const idpKey = await generateSigningKey('ES256')
  const idp: Listening = await listen({ port: 0 }, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(publicJwks([idpKey])))
  })
  const chained = await startOboAs({
    env: {
      TRUSTED_IDPS: JSON.stringify([
        { issuer: idp.url, jwks_uri: `${idp.url}/jwks`, subject_namespace: 'acme', client_ids: [AGENT.id] },
      ]),
    },
  })
  try {
    const now = Math.floor(Date.now() / 1000)
    const idJag = await new SignJWT({
      iss: idp.url,
      sub: 'u-1001',
      aud: chained.url,
      client_id: AGENT.id,
      resource: MCP_SERVER,
      scope: 'tasks.read',
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 300,
    })
      .setProtectedHeader({ alg: 'ES256', kid: idpKey.kid, typ: JWT_TYP.ID_JAG })
      .sign(idpKey.privateKey)
    const redeemed = await fetch(`${chained.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${AGENT.id}:${AGENT.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: GRANT_TYPE.JWT_BEARER, assertion: idJag, resource: MCP_SERVER }),
    })
    const mcpToken = String((await accepted(redeemed)).access_token)
    const body = await accepted(await exchange(chained, mcpToken))
    const { claims } = decodeJwtParts(String(body.access_token))
    assert.equal(claims.sub, 'acme|u-1001')
    assert.equal(claims.aud, TASKS_API)
    assert.equal(claims.scope, 'tasks.read')
    assert.deepEqual(claims.act, { sub: MCP_CLIENT.id, act: { sub: AGENT.id } })
    assert.equal(claims.idp, idp.url)
    // OBO-12: the log names the decision but never a token.
    const log = chained.logs.join('\n')
    assert.match(log, /issued a downstream access token on behalf of the user/)
    assert.equal(log.includes(mcpToken), false)
    assert.equal(log.includes(String(body.access_token)), false)
  } finally {
    await chained.close()
    await idp.close()
  }
})
