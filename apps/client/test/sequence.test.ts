import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { GRANT_TYPE } from '@ema/tokens'
import type { Exchange } from '@ema/id-jag-client'
import { downstreamArrows, redactUrl } from '../src/browser-arrows.ts'
import { annotateToken, CLAIM_ANNOTATIONS, tokenKind } from '../src/claim-annotations.ts'
import { alterSignature, DEMO_ATTACKS } from '../src/demo-attacks.ts'
import { arrowFromExchange, lifelineOf, LIFELINES, readRefusal, type RoleOrigins } from '../src/sequence-arrow.ts'
import { Timeline, type TimelineEvent } from '../src/timeline.ts'
import { decodeCarriedJwts, TrafficTap } from '../src/traffic-tap.ts'

const origins: RoleOrigins = {
  idpIssuer: 'http://localhost:4001',
  authorizationServer: 'http://localhost:4002',
  mcpServerUrl: 'http://localhost:4003/mcp',
}
const jwt = (header: object, claims: object) =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJlLWJ5dGVzLWhlcmU`
const requirementIds = new Set(
  [
    ...readFileSync(new URL('../../../docs/requirements.md', import.meta.url), 'utf8').matchAll(
      /^\| ([A-Z]+(?:-[a-z]+)?-\d+) \|/gm,
    ),
  ].map((m) => m[1]),
)

describe('claim annotations', () => {
  test('every rule cites a requirement ID that docs/requirements.md defines', () => {
    for (const [kind, annotations] of Object.entries(CLAIM_ANNOTATIONS)) {
      for (const [name, rule] of [...Object.entries(annotations.header), ...Object.entries(annotations.claims)]) {
        assert.ok(
          requirementIds.has(rule.requirement),
          `${kind} ${name}: ${rule.requirement} is not in docs/requirements.md`,
        )
      }
    }
    for (const attack of DEMO_ATTACKS)
      assert.ok(requirementIds.has(attack.requirement), `${attack.id}: ${attack.requirement}`)
  })

  test('AS-17 the ID-JAG aud is annotated with its rule; kinds come from typ, or from where an ID token travelled', () => {
    const annotated = annotateToken(
      { alg: 'ES256', typ: 'oauth-id-jag+jwt', kid: 'k' },
      { iss: 'i', aud: 'http://localhost:4002', client_id: 'acme-agent-tasks', custom: 1 },
      'assertion',
    )
    assert.equal(annotated.kind, 'id-jag')
    assert.equal(annotated.label, 'ID-JAG')
    const aud = annotated.rows.find((row) => row.name === 'aud')!
    assert.deepEqual(aud, {
      part: 'payload',
      name: 'aud',
      value: '"http://localhost:4002"',
      rule: "must be exactly this authorization server's issuer",
      requirement: 'AS-17',
    })
    assert.equal(annotated.rows.find((row) => row.name === 'typ')?.requirement, 'AS-12')
    assert.equal(annotated.rows.find((row) => row.name === 'custom')?.rule, undefined)
    assert.equal(tokenKind({ typ: 'at+jwt' }, 'bearer'), 'access-token')
    assert.equal(tokenKind({ alg: 'ES256' }, 'id_token'), 'id-token')
    assert.equal(tokenKind({ alg: 'ES256' }, 'subject_token'), 'id-token')
    assert.equal(tokenKind({ alg: 'ES256' }, 'client_assertion'), undefined)
    assert.equal(
      annotateToken({ typ: 'at+jwt' }, { aud: 'x' }, 'bearer').rows.find((row) => row.name === 'aud')?.requirement,
      'RS-09',
    )
  })
})

describe('sequence arrows', () => {
  const exchange = (
    request: Partial<Exchange['request']>,
    response?: Partial<NonNullable<Exchange['response']>>,
  ): Exchange => ({
    request: { method: 'POST', url: 'http://localhost:4002/token', headers: {}, ...request },
    ...(response === undefined ? {} : { response: { status: 200, headers: {}, ...response } }),
  })
  const tapped = (value: Exchange, requestJwts = {}) => ({
    exchange: value,
    startedAt: 1000,
    durationMs: 12.4,
    requestJwts,
  })

  test('the lifeline is found by origin', () => {
    assert.equal(lifelineOf('http://localhost:4001/token', origins), 'idp')
    assert.equal(lifelineOf('http://localhost:4002/.well-known/oauth-authorization-server', origins), 'as')
    assert.equal(lifelineOf('http://localhost:4003/.well-known/oauth-protected-resource/mcp', origins), 'mcp')
    assert.equal(lifelineOf('http://elsewhere.example/', origins), undefined)
    assert.deepEqual(
      LIFELINES.map((line) => line.id),
      ['browser', 'client', 'idp', 'as', 'mcp', 'api'],
    )
  })

  test('a refused jwt-bearer grant is a refusal by the MCP authorization server, with its code, the ID-JAG it carried decoded', () => {
    const idJag = { header: { typ: 'oauth-id-jag+jwt', alg: 'ES256' }, claims: { aud: 'https://as.partner.example' } }
    const arrow = arrowFromExchange(
      tapped(
        exchange(
          { params: { grant_type: GRANT_TYPE.JWT_BEARER, assertion: 'eyJ…(500 chars)' } },
          { status: 400, body: { error: 'invalid_grant', error_description: 'aud' } },
        ),
        { assertion: idJag },
      ),
      origins,
    )!
    assert.equal(arrow.label, 'jwt-bearer: ID-JAG → access token (RFC 7523)')
    assert.deepEqual(
      [arrow.from, arrow.to, arrow.status, arrow.outcome, arrow.durationMs],
      ['client', 'as', 400, 'refused', 12],
    )
    assert.deepEqual(arrow.refusal, { role: 'MCP authorization server', error: 'invalid_grant', description: 'aud' })
    assert.equal(arrow.tokens[0]?.kind, 'id-jag')
    assert.match(arrow.tokens[0]!.label, /^ID-JAG \(sent, decoded, not verified\)$/)
  })

  test('RS-05 the unauthenticated MCP request answered 401 is the expected challenge, not a refusal; a Bearer one is refused', () => {
    const probe = arrowFromExchange(
      tapped(
        exchange(
          { url: origins.mcpServerUrl, json: { jsonrpc: '2.0', id: 0, method: 'initialize' } },
          { status: 401, headers: { 'www-authenticate': 'Bearer resource_metadata="x"' } },
        ),
      ),
      origins,
    )!
    assert.equal(probe.outcome, 'challenge')
    assert.equal(probe.label, 'MCP initialize without a token')
    const refused = arrowFromExchange(
      tapped(
        exchange(
          {
            url: origins.mcpServerUrl,
            headers: { authorization: 'Bearer eyJ…' },
            json: { jsonrpc: '2.0', id: 1, method: 'initialize' },
          },
          {
            status: 401,
            headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="wrong typ"' },
          },
        ),
      ),
      origins,
    )!
    assert.equal(refused.outcome, 'refused')
    assert.deepEqual(refused.refusal, { role: 'Tasks MCP server', error: 'invalid_token', description: 'wrong typ' })
  })

  test("the MCP transport's own traffic is left out; metadata at the MCP server's origin is kept", () => {
    assert.equal(
      arrowFromExchange(
        tapped(
          exchange(
            {
              url: origins.mcpServerUrl,
              headers: { authorization: 'Bearer x' },
              json: { jsonrpc: '2.0', method: 'notifications/initialized' },
            },
            { status: 202 },
          ),
        ),
        origins,
      ),
      undefined,
    )
    assert.equal(
      arrowFromExchange(
        tapped(
          exchange(
            { method: 'GET', url: origins.mcpServerUrl, headers: { authorization: 'Bearer x' } },
            { status: 405 },
          ),
        ),
        origins,
      ),
      undefined,
    )
    assert.equal(
      arrowFromExchange(
        tapped(
          exchange(
            { method: 'GET', url: 'http://localhost:4003/.well-known/oauth-protected-resource/mcp' },
            { status: 200 },
          ),
        ),
        origins,
      )?.label,
      'Protected resource metadata (RFC 9728)',
    )
  })

  test('readRefusal reads a JSON error body, else the WWW-Authenticate challenge', () => {
    assert.deepEqual(readRefusal(exchange({}, { status: 400, body: { error: 'access_denied' } })), {
      error: 'access_denied',
      description: undefined,
    })
    assert.deepEqual(
      readRefusal(
        exchange(
          {},
          { status: 403, headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="tasks.write"' } },
        ),
      ),
      { error: 'insufficient_scope', description: undefined },
    )
    assert.equal(readRefusal(exchange({}, { status: 200 })), undefined)
  })
})

describe('traffic tap', () => {
  test('CL-34 decodes the JWTs a request carries (header and claims only) and records only inside run()', async () => {
    const idToken = jwt({ alg: 'ES256' }, { sub: 'u-1001', nonce: 'n' })
    const carried = decodeCarriedJwts('http://localhost:4001/token', {
      method: 'POST',
      body: new URLSearchParams({ subject_token: idToken, assertion: 'not-a-jwt' }),
      headers: { authorization: `Bearer ${jwt({ typ: 'at+jwt' }, { aud: 'a' })}` },
    })
    assert.deepEqual(Object.keys(carried).sort(), ['bearer', 'subject_token'])
    assert.deepEqual(carried.subject_token, { header: { alg: 'ES256' }, claims: { sub: 'u-1001', nonce: 'n' } })

    let clock = 0
    const tap = new TrafficTap(
      async () => {
        clock += 25
        return Response.json({ ok: true })
      },
      () => clock,
    )
    const seen: Array<{ url: string; durationMs: number; body: string }> = []
    await tap.fetch('http://localhost:4001/outside')
    await tap.run(
      (tapped) =>
        seen.push({
          url: tapped.exchange.request.url,
          durationMs: tapped.durationMs,
          body: JSON.stringify(tapped.exchange),
        }),
      async () => {
        await tap.fetch('http://localhost:4001/token', {
          method: 'POST',
          body: new URLSearchParams({ subject_token: idToken }),
        })
      },
    )
    assert.equal(seen.length, 1)
    assert.equal(seen[0]!.durationMs, 25)
    assert.ok(!seen[0]!.body.includes(idToken), 'the recorded exchange is redacted')
  })
})

describe('timeline', () => {
  test('arrows are placed by the time their requests started; listeners hear each one; begin keeps what it is told to', () => {
    const timeline = new Timeline()
    const events: TimelineEvent[] = []
    timeline.subscribe((event) => events.push(event))
    const base = {
      from: 'client' as const,
      to: 'idp' as const,
      label: 'x',
      status: 200,
      durationMs: 1,
      outcome: 'ok' as const,
      request: { method: 'GET', url: 'u' },
      tokens: [],
      notes: [],
    }
    timeline.begin('Sign-in')
    timeline.add({ ...base, label: 'later', startedAt: 20 })
    timeline.add({ ...base, label: 'earlier', startedAt: 10 })
    assert.deepEqual(
      timeline.arrows.map((arrow) => arrow.label),
      ['earlier', 'later'],
    )
    timeline.end({ outcome: 'ok' })
    timeline.begin('The chain', { keep: (arrow) => arrow.startedAt < 15 })
    assert.deepEqual(
      timeline.arrows.map((arrow) => arrow.label),
      ['earlier'],
    )
    assert.deepEqual(
      events.map((event) => event.type),
      ['run', 'arrow', 'arrow', 'done', 'run'],
    )
    const snapshot = timeline.snapshot()
    assert.equal(snapshot.type === 'run' && snapshot.run.title, 'The chain')
    assert.equal(snapshot.type === 'run' && snapshot.lifelines.length, 6)
  })
})

describe('break it', () => {
  test('AS-13 a forged signature: the same header and payload, one signature bit flipped, still base64url', () => {
    const original = jwt({ typ: 'oauth-id-jag+jwt' }, { aud: 'a' })
    const forged = alterSignature(original)
    const [h1, p1, s1] = original.split('.')
    const [h2, p2, s2] = forged.split('.')
    assert.equal(h2, h1)
    assert.equal(p2, p1)
    assert.notEqual(s2, s1)
    assert.match(s2!, /^[A-Za-z0-9_-]+$/)
    assert.equal(Buffer.from(s2!, 'base64url').length, Buffer.from(s1!, 'base64url').length)
  })

  test('the catalogue: every attack names a refusing role, an OAuth error code and a distinct id', () => {
    assert.equal(DEMO_ATTACKS.length, 9)
    assert.equal(new Set(DEMO_ATTACKS.map((attack) => attack.id)).size, 9)
    for (const attack of DEMO_ATTACKS) {
      assert.ok(['idp', 'as', 'mcp'].includes(attack.refusedBy), attack.id)
      assert.match(attack.error, /^[a-z_]+$/)
    }
  })

  test("OBO-12 OBO-13 the downstream trace of a tool result becomes the MCP server's arrows, the downstream token annotated; anything else is ignored", () => {
    const trace = {
      exchange: {
        request: {
          method: 'POST',
          url: 'https://localhost:4012/token',
          client_authentication: 'tls_client_auth',
          params: { audience: 'http://localhost:4004', scope: 'tasks.write', subject_token: '[redacted]' },
        },
        status: 200,
        cached: false,
      },
      downstream_token_claims: {
        iss: 'http://localhost:4002',
        sub: 'acme|u-1001',
        aud: 'http://localhost:4004',
        act: { sub: 'tasks-mcp-server', act: { sub: 'acme-agent-tasks' } },
      },
      api: { method: 'POST', url: 'http://localhost:4004/tasks', status: 201 },
    }
    const arrows = downstreamArrows({ 'io.ema/downstream': trace }, { startedAt: 100, durationMs: 20 }, origins)
    assert.deepEqual(
      arrows.map((arrow) => [arrow.from, arrow.to, arrow.label, arrow.status]),
      [
        ['mcp', 'as', 'On-behalf-of token exchange (RFC 8693)', 200],
        ['mcp', 'api', 'Tasks API POST /tasks', 201],
      ],
    )
    assert.ok(arrows[0]!.startedAt > 100 && arrows[1]!.startedAt > arrows[0]!.startedAt)
    const act = arrows[0]!.tokens[0]!.rows.find((row) => row.name === 'act')
    assert.equal(act?.requirement, 'OBO-13')
    assert.equal(arrows[0]!.tokens[0]!.rows.find((row) => row.name === 'aud')?.requirement, 'OBO-01')
    const cached = downstreamArrows(
      { 'io.ema/downstream': { ...trace, exchange: { ...trace.exchange, cached: true } } },
      { startedAt: 0, durationMs: 0 },
      origins,
    )
    assert.equal(cached[0]!.label, 'On-behalf-of token (cached, no request)')
    const refused = downstreamArrows(
      { 'io.ema/downstream': { exchange: { status: 400, error: { error: 'invalid_scope' } } } },
      { startedAt: 0, durationMs: 0 },
      origins,
    )
    assert.equal(refused[0]?.refusal?.error, 'invalid_scope')
    assert.equal(refused[0]?.refusal?.role, 'MCP authorization server')
    assert.deepEqual(downstreamArrows(undefined, { startedAt: 0, durationMs: 0 }, origins), [])
    assert.deepEqual(
      downstreamArrows({ 'io.ema/downstream': [{ url: 'x' }] }, { startedAt: 0, durationMs: 0 }, origins),
      [],
    )
  })

  test('CL-34 redactUrl redacts code, state and nonce and keeps the rest', () => {
    const { url, params } = redactUrl(
      'http://localhost:4001/auth?client_id=acme-agent&state=abcdefghijklmnop&nonce=qrstuvwxyz123456&code_challenge=xyz',
    )
    assert.equal(url, 'http://localhost:4001/auth')
    assert.equal(params.client_id, 'acme-agent')
    assert.equal(params.code_challenge, 'xyz')
    assert.ok(!params.state!.includes('abcdefghijklmnop') && !params.nonce!.includes('qrstuvwxyz123456'))
  })
})
