import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { CONFORMANCE_SCENARIO, parseConformanceContext } from '../src/conformance/conformance-context.ts'

const context = {
  name: CONFORMANCE_SCENARIO,
  client_id: 'conformance-test-xaa-client',
  client_secret: 'conformance-test-xaa-secret',
  idp_client_id: 'conformance-test-idp-client',
  idp_id_token: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln',
  idp_issuer: 'http://localhost:33247',
  idp_token_endpoint: 'http://localhost:33247/token',
}

describe('parseConformanceContext', () => {
  test('CL-10 CL-24 CL-37 reads the configured IdP, the ID token and both registrations from the suite context', () => {
    const parsed = parseConformanceContext(JSON.stringify(context), CONFORMANCE_SCENARIO)
    assert.equal(parsed.idp_token_endpoint, 'http://localhost:33247/token')
    assert.equal(parsed.idp_id_token, context.idp_id_token)
    assert.equal(parsed.idp_client_id, 'conformance-test-idp-client')
    assert.equal(parsed.client_id, 'conformance-test-xaa-client')
    assert.equal(parsed.client_secret, 'conformance-test-xaa-secret')
  })

  test('CL-01 needs no authorization server in the context (it is discovered) and tolerates extra members', () => {
    const parsed = parseConformanceContext(JSON.stringify({ ...context, something_new: 1 }), undefined)
    assert.equal(parsed.client_id, 'conformance-test-xaa-client')
  })

  test('CL-27 accepts a context without an IdP client secret', () => {
    assert.equal('idp_client_secret' in context, false)
    assert.doesNotThrow(() => parseConformanceContext(JSON.stringify(context), CONFORMANCE_SCENARIO))
  })

  test('refuses a missing or non-JSON context with a clear message', () => {
    assert.throws(() => parseConformanceContext(undefined, CONFORMANCE_SCENARIO), /MCP_CONFORMANCE_CONTEXT is not set/)
    assert.throws(() => parseConformanceContext('{not json', CONFORMANCE_SCENARIO), /not valid JSON/)
  })

  test('CL-34 names the bad member without echoing any value', () => {
    const { idp_token_endpoint: _omitted, ...withoutEndpoint } = context
    assert.throws(() => parseConformanceContext(JSON.stringify(withoutEndpoint), CONFORMANCE_SCENARIO), /invalid at idp_token_endpoint/)
    assert.throws(
      () => parseConformanceContext(JSON.stringify({ ...context, client_secret: '' }), CONFORMANCE_SCENARIO),
      (error: unknown) => error instanceof Error && /client_secret/.test(error.message) && !error.message.includes(context.idp_id_token),
    )
  })

  test('refuses another scenario, from the environment or from the context', () => {
    assert.throws(() => parseConformanceContext(JSON.stringify(context), 'auth/basic-cimd'), /only auth\/cross-app-access-complete-flow/)
    assert.throws(() => parseConformanceContext(JSON.stringify({ ...context, name: 'auth/basic-cimd' }), undefined), /only auth\/cross-app-access-complete-flow/)
  })
})
