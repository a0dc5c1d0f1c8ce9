import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DOWNSTREAM_TRACE_KEY } from '@ema/id-jag-client'
import { describeDownstreamTrace } from '../src/describe-downstream-trace.ts'

const trace = {
  exchange: {
    request: {
      method: 'POST',
      url: 'https://localhost:4012/token',
      client_authentication: 'tls_client_auth',
      params: {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: '[redacted]',
        audience: 'http://localhost:4004',
        scope: 'tasks.write',
      },
    },
    status: 200,
    cached: false,
  },
  downstream_token_claims: {
    sub: 'acme|u-1001',
    aud: 'http://localhost:4004',
    scope: 'tasks.write',
    act: { sub: 'tasks-mcp-server', act: { sub: 'acme-agent-cli-tasks' } },
  },
  api: { method: 'POST', url: 'http://localhost:4004/tasks', status: 201 },
}

test('OBO-12 OBO-13 the second hop shows the exchange, the downstream token with its act chain (current actor first) and the API call', () => {
  const lines = describeDownstreamTrace({ [DOWNSTREAM_TRACE_KEY]: trace })
  assert.deepEqual(lines, [
    'second hop, as the MCP server reports it (MCP server → authorization server → Tasks API):',
    '  RFC 8693 on-behalf-of exchange: POST https://localhost:4012/token (tls_client_auth) → 200',
    '    audience=http://localhost:4004  scope=tasks.write',
    '  downstream token: sub=acme|u-1001  aud=http://localhost:4004  scope=tasks.write',
    '    act: tasks-mcp-server acts now, for acme-agent-cli-tasks',
    '  Tasks API: POST http://localhost:4004/tasks → 201',
  ])
})

test('a cached exchange and a refusal by the authorization server are said so', () => {
  const cached = describeDownstreamTrace({
    [DOWNSTREAM_TRACE_KEY]: { ...trace, exchange: { ...trace.exchange, cached: true } },
  })
  assert.match(cached[1]!, /→ a cached token, no request$/)
  const refused = describeDownstreamTrace({
    [DOWNSTREAM_TRACE_KEY]: {
      exchange: {
        ...trace.exchange,
        status: 400,
        error: { error: 'invalid_scope', error_description: 'this client may not obtain tasks.write' },
      },
    },
  })
  assert.match(refused[1]!, /→ 400 invalid_scope$/)
  assert.equal(refused[3], '    this client may not obtain tasks.write')
})

test('no trace, or one this client cannot read, gives no lines (never an error)', () => {
  assert.deepEqual(describeDownstreamTrace(undefined), [])
  assert.deepEqual(describeDownstreamTrace({}), [])
  assert.deepEqual(describeDownstreamTrace({ [DOWNSTREAM_TRACE_KEY]: 'not an object' }), [])
  assert.deepEqual(describeDownstreamTrace({ [DOWNSTREAM_TRACE_KEY]: { exchange: { status: 'x' } } }), [])
})
