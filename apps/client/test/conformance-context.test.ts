import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseConformanceContext } from '../src/conformance/conformance-context.ts'

const SCENARIO = 'auth/enterprise-managed-authorization'
const context = {
  name: SCENARIO,
  client_id: 'conformance-test-xaa-client',
  client_secret: 'conformance-test-xaa-secret',
  idp_client_id: 'conformance-test-idp-client',
  idp_id_token: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln',
  idp_issuer: 'http://localhost:33247',
  idp_token_endpoint: 'http://localhost:33247/token',
}

describe('parseConformanceContext', () => {
  test('CL-10 CL-24 CL-37 reads the configured IdP, the ID token and both registrations from the suite context', () => {
    const parsed = parseConformanceContext(JSON.stringify(context), SCENARIO)
    assert.equal(parsed.idp_token_endpoint, 'http://localhost:33247/token')
    assert.equal(parsed.idp_id_token, context.idp_id_token)
    assert.equal(parsed.idp_client_id, 'conformance-test-idp-client')
    assert.equal(parsed.client_id, 'conformance-test-xaa-client')
    assert.equal(parsed.client_secret, 'conformance-test-xaa-secret')
  })

  test('decides by the context, not the name: the current and the 0.1.x scenario names, any other name or none all run', () => {
    for (const name of [SCENARIO, 'auth/cross-app-access-complete-flow', 'auth/some-future-name']) {
      assert.equal(parseConformanceContext(JSON.stringify({ ...context, name }), name).name, name)
    }
    const { name: _name, ...unnamed } = context
    assert.equal(parseConformanceContext(JSON.stringify(unnamed), undefined).client_id, 'conformance-test-xaa-client')
  })

  test('CL-01 needs no authorization server in the context (it is discovered) and tolerates extra members', () => {
    const parsed = parseConformanceContext(JSON.stringify({ ...context, something_new: 1 }), undefined)
    assert.equal(parsed.client_id, 'conformance-test-xaa-client')
  })

  test('CL-27 accepts a context without an IdP client secret', () => {
    assert.equal('idp_client_secret' in context, false)
    assert.doesNotThrow(() => parseConformanceContext(JSON.stringify(context), SCENARIO))
  })

  test('refuses a missing, non-JSON or non-object context with a clear message', () => {
    assert.throws(
      () => parseConformanceContext(undefined, 'auth/basic-cimd'),
      /MCP_CONFORMANCE_CONTEXT is not set for scenario "auth\/basic-cimd"/,
    )
    assert.throws(() => parseConformanceContext('{not json', SCENARIO), /not valid JSON/)
    assert.throws(() => parseConformanceContext('[1]', SCENARIO), /not a JSON object/)
  })

  test('refuses a context of another shape, naming what it lacks, whatever the scenario is called', () => {
    const preRegistration = { name: 'auth/pre-registration', client_id: 'c', client_secret: 's' }
    assert.throws(
      () => parseConformanceContext(JSON.stringify(preRegistration), 'auth/pre-registration'),
      /context of scenario "auth\/pre-registration" lacks idp_client_id, idp_id_token, idp_issuer, idp_token_endpoint: it is not an Enterprise-Managed Authorization context/,
    )
    assert.throws(
      () => parseConformanceContext(JSON.stringify({ ...preRegistration, name: SCENARIO }), SCENARIO),
      /lacks idp_client_id/,
    )
  })

  test('CL-34 names the bad or missing member without echoing any value', () => {
    const { idp_token_endpoint: _omitted, ...withoutEndpoint } = context
    assert.throws(() => parseConformanceContext(JSON.stringify(withoutEndpoint), SCENARIO), /lacks idp_token_endpoint/)
    assert.throws(
      () => parseConformanceContext(JSON.stringify({ ...context, idp_token_endpoint: 'not a url' }), SCENARIO),
      /invalid at idp_token_endpoint/,
    )
    assert.throws(
      () => parseConformanceContext(JSON.stringify({ ...context, client_secret: '' }), SCENARIO),
      (error: unknown) =>
        error instanceof Error && /client_secret/.test(error.message) && !error.message.includes(context.idp_id_token),
    )
  })
})
