/** Configuration of the on-behalf-of exchange and of the mTLS alias (OBO-10; RFC 8705 §5). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from '../src/config.ts'

const demo = { ALLOW_INSECURE_HTTP: 'true' }
const mtlsFiles = {
  AS_MTLS_CERT_FILE: '/pki/as-server.pem',
  AS_MTLS_KEY_FILE: '/pki/as-server-key.pem',
  AS_MTLS_CA_FILE: '/pki/ca.pem',
}

test('OBO-10 the demo defaults: tasks-mcp-server (secret variant without mTLS), switched on, tied to the MCP server; the Tasks API downstream', () => {
  const config = loadConfig(demo)
  assert.deepEqual(
    config.clients.find((client) => client.client_id === 'tasks-mcp-server'),
    {
      client_id: 'tasks-mcp-server',
      token_endpoint_auth_method: 'client_secret_basic',
      client_secret: 'tasks-mcp-server-secret',
      token_exchange: { allow_any_profile_of_type: ['on_behalf_of_token_exchange'] },
      resource_server_identifier: 'http://localhost:4003/mcp',
    },
  )
  assert.deepEqual(config.downstreamApis, [
    {
      identifier: 'http://localhost:4004',
      scopes: ['tasks.read', 'tasks.write'],
      client_grants: [{ client_id: 'tasks-mcp-server', scopes: ['tasks.read', 'tasks.write'] }],
      scope_mapping: { 'tasks.read': ['tasks.read'], 'tasks.write': ['tasks.write'] },
    },
  ])
  assert.equal(config.maxDelegationDepth, 5)
  assert.equal(config.mtls, undefined)
  assert.equal(
    loadConfig({ ...demo, TASKS_API_URL: 'http://localhost:5104' }).downstreamApis[0]?.identifier,
    'http://localhost:5104',
  )
})

test('OBO-07 RFC 8705 with AS_MTLS_* the demo client authenticates with its certificate (tls_client_auth, CN=tasks-mcp-server)', () => {
  const config = loadConfig({ ...demo, ...mtlsFiles })
  assert.deepEqual(config.mtls, {
    url: 'https://localhost:4012',
    port: 4012,
    certFile: '/pki/as-server.pem',
    keyFile: '/pki/as-server-key.pem',
    caFile: '/pki/ca.pem',
  })
  const client = config.clients.find((candidate) => candidate.client_id === 'tasks-mcp-server')
  assert.equal(client?.token_endpoint_auth_method, 'tls_client_auth')
  assert.equal(client?.tls_client_auth_subject_dn, 'CN=tasks-mcp-server')
  assert.equal(client?.client_secret, undefined)
  assert.equal(loadConfig({ ...demo, ...mtlsFiles, AS_MTLS_URL: 'https://localhost:5112' }).mtls?.port, 5112)
})

test('RFC 8705 the mTLS alias needs all three files, https, and an origin', () => {
  assert.throws(
    () => loadConfig({ ...demo, AS_MTLS_CERT_FILE: '/c.pem' }),
    /needs AS_MTLS_CERT_FILE, AS_MTLS_KEY_FILE and AS_MTLS_CA_FILE together; missing AS_MTLS_KEY_FILE, AS_MTLS_CA_FILE/,
  )
  assert.throws(
    () => loadConfig({ ...demo, ...mtlsFiles, AS_MTLS_URL: 'http://localhost:4012' }),
    /AS_MTLS_URL must be https/,
  )
  assert.throws(
    () => loadConfig({ ...demo, ...mtlsFiles, AS_MTLS_URL: 'https://localhost:4012/mtls' }),
    /must be an origin/,
  )
  assert.equal(
    loadConfig({ ...demo, AS_MTLS_CERT_FILE: '', AS_MTLS_KEY_FILE: '', AS_MTLS_CA_FILE: '' }).mtls,
    undefined,
    'empty = off',
  )
})

const client = (extra: Record<string, unknown>) => ({
  client_id: 'mcp',
  client_secret: 's',
  token_endpoint_auth_method: 'client_secret_basic',
  ...extra,
})
const agent = { client_id: 'acme-agent-tasks', client_secret: 's', token_endpoint_auth_method: 'client_secret_basic' }
const withClients = (...clients: Array<Record<string, unknown>>) => ({
  ...demo,
  CLIENTS: JSON.stringify([agent, ...clients]),
})

test('OBO-10 a switched-on client must be tied to a registered MCP server', () => {
  const on = { token_exchange: { allow_any_profile_of_type: ['on_behalf_of_token_exchange'] } }
  assert.throws(
    () => loadConfig(withClients(client(on))),
    /client "mcp" is switched on for on_behalf_of_token_exchange but names no resource_server_identifier/,
  )
  assert.throws(
    () => loadConfig(withClients(client({ ...on, resource_server_identifier: 'http://localhost:9999/mcp' }))),
    /tied to http:\/\/localhost:9999\/mcp \(resource_server_identifier\), which is not a registered MCP server/,
  )
  assert.doesNotThrow(() =>
    loadConfig(withClients(client({ ...on, resource_server_identifier: 'http://localhost:4003/mcp' }))),
  )
  assert.throws(() => loadConfig(withClients(client({ token_exchange: { allow: true } }))), /CLIENTS/)
  assert.throws(() => loadConfig(withClients(client({}), client({}))), /client_id "mcp" is listed twice/)
})

test('OBO-07 RFC 8705 tls_client_auth needs a subject DN, no secret, and the mTLS alias', () => {
  const tls = { client_id: 'mcp', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=mcp' }
  assert.throws(
    () => loadConfig(withClients(tls)),
    /uses tls_client_auth, which needs the mTLS endpoint alias; set AS_MTLS_CERT_FILE/,
  )
  assert.doesNotThrow(() => loadConfig({ ...withClients(tls), ...mtlsFiles }))
  assert.throws(
    () => loadConfig({ ...withClients({ ...tls, tls_client_auth_subject_dn: undefined }), ...mtlsFiles }),
    /tls_client_auth clients need tls_client_auth_subject_dn/,
  )
  assert.throws(
    () => loadConfig({ ...withClients({ ...tls, client_secret: 's' }), ...mtlsFiles }),
    /and no client_secret/,
  )
})

test('OBO-05 OBO-10 DOWNSTREAM_APIS is checked: registered clients, defined scopes, distinct from the MCP servers, no fragment', () => {
  const api = (extra: Record<string, unknown> = {}) =>
    JSON.stringify([
      {
        identifier: 'https://api.example',
        scopes: ['a', 'b'],
        client_grants: [{ client_id: 'acme-agent-tasks', scopes: ['a'] }],
        ...extra,
      },
    ])
  const config = loadConfig({ ...demo, DOWNSTREAM_APIS: api() })
  assert.deepEqual(config.downstreamApis[0]?.scope_mapping, { a: ['a'], b: ['b'] }, 'identity mapping by default')
  assert.deepEqual(
    loadConfig({ ...demo, DOWNSTREAM_APIS: api({ scope_mapping: { 'tasks.read': ['a', 'b'] } }) }).downstreamApis[0]
      ?.scope_mapping,
    { 'tasks.read': ['a', 'b'] },
  )
  assert.throws(
    () => loadConfig({ ...demo, DOWNSTREAM_APIS: api({ client_grants: [{ client_id: 'nobody', scopes: ['a'] }] }) }),
    /names "nobody", which is not a client registered in CLIENTS/,
  )
  assert.throws(
    () =>
      loadConfig({
        ...demo,
        DOWNSTREAM_APIS: api({ client_grants: [{ client_id: 'acme-agent-tasks', scopes: ['z'] }] }),
      }),
    /scopes the API does not define: z/,
  )
  assert.throws(
    () => loadConfig({ ...demo, DOWNSTREAM_APIS: api({ scope_mapping: { 'tasks.read': ['z'] } }) }),
    /maps "tasks.read" to scopes the API does not define: z/,
  )
  assert.throws(
    () => loadConfig({ ...demo, DOWNSTREAM_APIS: api({ identifier: 'http://localhost:4003/mcp' }) }),
    /is an MCP server \(MCP_SERVERS\), not a downstream API/,
  )
  assert.throws(
    () => loadConfig({ ...demo, DOWNSTREAM_APIS: api({ identifier: 'https://api.example#x' }) }),
    /must not have a fragment/,
  )
  assert.throws(() => loadConfig({ ...demo, DOWNSTREAM_APIS: '{' }), /DOWNSTREAM_APIS is not valid JSON/)
  assert.throws(() => loadConfig({ ...demo, MAX_DELEGATION_DEPTH: '1' }), /MAX_DELEGATION_DEPTH/)
  assert.equal(loadConfig({ ...demo, MAX_DELEGATION_DEPTH: '8' }).maxDelegationDepth, 8)
})
