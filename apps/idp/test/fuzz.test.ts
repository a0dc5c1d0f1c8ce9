/**
 * Property-based fuzzing of the IdP's token endpoint (RFC 8693 token exchange, ID token → ID-JAG).
 *
 * (a) random form parameters and headers, (b) mutations of a valid ID token used as subject_token
 * (bytes flipped, inserted or deleted in each segment, segments swapped, header and payload
 * re-encoded with random values and types, random `typ`/`alg`/`kid`/`aud`). Each property: never a
 * 5xx; every refusal is a JSON object with a string `error` and no `access_token`; a 200 only for the
 * unmodified ID token. `FUZZ_RUNS` cases per property (`npm run fuzz`).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { basicAuthorization } from '@ema/demo-kit'
import { fuzzJwtMutations, fuzzRuns, fuzzTokenRequestForms } from '@ema/test-kit'
import { createLogger, listen, type Listening } from '@ema/server-kit'
import { generateSigningKey, GRANT_TYPE, TOKEN_TYPE } from '@ema/tokens'
import { createIdpApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { ACME_AGENT, AS_ISSUER, CLIENT_URL, RS_RESOURCE, exchange, signIn } from './support/idp.ts'

let idp: Listening
let idToken: string

before(async () => {
  // An instance of its own: the fuzzer outruns any rate limit (TOKEN_RATE_LIMIT_PER_MINUTE=0).
  idp = await listen({ port: 0 })
  const config = loadConfig({
    IDP_ISSUER: idp.url,
    AS_ISSUER,
    RS_RESOURCE,
    CLIENT_URL,
    ALLOW_INSECURE_HTTP: 'true',
    TOKEN_RATE_LIMIT_PER_MINUTE: '0',
  })
  const log = createLogger({ name: 'idp', write: () => {} })
  idp.server.on(
    'request',
    createIdpApp(config, { signingKey: await generateSigningKey('ES256'), now: () => new Date(), log }),
  )
  idToken = await signIn(idp, { client: ACME_AGENT, username: 'alice', password: 'alice-password' })
})
after(() => idp.close())

const BASIC = basicAuthorization('acme-agent', 'acme-agent-idp-secret')
const FORM_NAMES = [
  'grant_type',
  'subject_token',
  'subject_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
  'actor_token',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
]

test('IDP-04 IDP-09 SEC-04 random form parameters and headers at /token: never a 5xx, never a token, always a JSON OAuth error', async () => {
  await fuzzTokenRequestForms({
    url: () => `${idp.url}/token`,
    names: FORM_NAMES,
    values: [
      GRANT_TYPE.TOKEN_EXCHANGE,
      TOKEN_TYPE.ID_TOKEN,
      TOKEN_TYPE.ID_JAG,
      AS_ISSUER,
      RS_RESOURCE,
      'acme-agent',
      'a.b.c',
    ],
    authorization: BASIC,
  })
})

test('IDP-05 SEC-04 mutated ID tokens as subject_token: never a 5xx, an ID-JAG only for the unmodified ID token, always a JSON OAuth error', async () => {
  await fuzzJwtMutations({
    label: 'ID token',
    claimNames: ['iss', 'sub', 'aud', 'azp', 'iat', 'exp', 'nbf', 'auth_time', 'nonce'],
    genuine: () => idToken,
    send: (subjectToken) =>
      fetch(`${idp.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC },
        body: new URLSearchParams({
          grant_type: GRANT_TYPE.TOKEN_EXCHANGE,
          requested_token_type: TOKEN_TYPE.ID_JAG,
          subject_token_type: TOKEN_TYPE.ID_TOKEN,
          audience: AS_ISSUER,
          resource: RS_RESOURCE,
          subject_token: subjectToken,
        }),
      }),
  })
})

test('IDP-14 IDP-44 random audience, resource and scope with a valid ID token: never a 5xx, always a JSON OAuth error when refused', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        audience: fc.oneof(fc.string(), fc.constant(AS_ISSUER)),
        resource: fc.oneof(fc.string(), fc.constant(RS_RESOURCE)),
        scope: fc.option(fc.string(), { nil: undefined }),
      }),
      async (params) => {
        const res = await exchange(idp, { subject_token: idToken, ...params })
        if (res.status === 200) {
          assert.equal(params.audience, AS_ISSUER, 'an ID-JAG only for the registered audience')
          // An empty resource counts as omitted (RFC 6749 §3.1), and then the audience's only MCP server
          // is used (IDP-15); any other value must be the registered resource itself.
          assert.ok(
            params.resource === RS_RESOURCE || params.resource === '',
            `an ID-JAG for resource ${JSON.stringify(params.resource)}`,
          )
          const payload = String(res.body.access_token).split('.')[1] ?? ''
          const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
            resource?: unknown
            aud?: unknown
          }
          assert.equal(claims.resource, RS_RESOURCE, 'the ID-JAG names the registered resource')
          assert.equal(claims.aud, AS_ISSUER, 'the ID-JAG names the registered audience')
          return
        }
        assert.ok(res.status < 500, `status ${res.status}`)
        assert.equal(typeof res.body.error, 'string')
        assert.equal('access_token' in res.body, false)
      },
    ),
    { numRuns: FUZZ_RUNS },
  )
})

const FUZZ_RUNS = fuzzRuns(process.env.FUZZ_RUNS)
