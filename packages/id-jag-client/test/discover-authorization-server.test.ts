import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { GRANT_PROFILE, GRANT_TYPE } from '@ema/tokens'
import {
  discoverAuthorizationServer,
  idJagProfileNote,
  metadataCandidates,
  PROFILE_NOT_ADVERTISED_NOTE,
} from '../src/discover-authorization-server.ts'
import { FlowError } from '../src/flow-error.ts'
import { startFakeServer, type FakeServer } from '@ema/test-kit'

describe('discoverAuthorizationServer', () => {
  let as: FakeServer
  let documents: Record<string, Record<string, unknown>> = {}
  const good = () => ({
    issuer: as.url,
    token_endpoint: `${as.url}/token`,
    grant_types_supported: [GRANT_TYPE.JWT_BEARER],
    authorization_grant_profiles_supported: [GRANT_PROFILE.ID_JAG],
  })

  before(async () => {
    as = await startFakeServer()
    as.app.get(/.*/, (req, res) => {
      const doc = documents[req.path]
      if (doc === undefined) res.status(404).json({ error: 'not_found' })
      else res.json(doc)
    })
  })
  after(() => as.close())

  const discover = () => discoverAuthorizationServer({ authorizationServer: as.url, fetch, allowInsecureHttp: true })

  test('CL-04 tries RFC 8414 first and accepts a matching document', async () => {
    documents = { '/.well-known/oauth-authorization-server': good() }
    as.received.length = 0
    const metadata = await discover()
    assert.equal(metadata.token_endpoint, `${as.url}/token`)
    assert.deepEqual(
      as.received.map((r) => r.path),
      ['/.well-known/oauth-authorization-server'],
    )
  })

  test('CL-04 falls back to OpenID Connect Discovery when RFC 8414 metadata is absent', async () => {
    documents = { '/.well-known/openid-configuration': good() }
    as.received.length = 0
    await discover()
    assert.deepEqual(
      as.received.map((r) => r.path),
      ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'],
    )
  })

  test('CL-04 uses the MCP order for an issuer with a path', () => {
    assert.deepEqual(metadataCandidates('https://as.example/tenant1'), [
      'https://as.example/.well-known/oauth-authorization-server/tenant1',
      'https://as.example/.well-known/openid-configuration/tenant1',
      'https://as.example/tenant1/.well-known/openid-configuration',
    ])
  })

  test('CL-05 refuses metadata whose issuer differs from the authorization server URL', async () => {
    documents = { '/.well-known/oauth-authorization-server': { ...good(), issuer: 'http://localhost:9/evil' } }
    await assert.rejects(discover(), (error: unknown) => {
      assert.ok(error instanceof FlowError)
      assert.equal(error.error, 'invalid_authorization_server_metadata')
      assert.match(error.message, /names the issuer "http:\/\/localhost:9\/evil"/)
      return true
    })
  })

  test('CL-06 stops with a clear error when the ID-JAG grant profile is not advertised', async () => {
    documents = { '/.well-known/oauth-authorization-server': { ...good(), authorization_grant_profiles_supported: [] } }
    await assert.rejects(discover(), (error: unknown) => {
      assert.ok(error instanceof FlowError)
      assert.match(error.message, /the authorization server does not advertise the ID-JAG grant profile/i)
      return true
    })
  })

  test('CL-06 CL-07 accepts jwt-bearer alone when authorization_grant_profiles_supported is absent, and notes it', async () => {
    const { authorization_grant_profiles_supported: _absent, ...withoutProfiles } = good()
    documents = { '/.well-known/oauth-authorization-server': withoutProfiles }
    const metadata = await discoverAuthorizationServer({ authorizationServer: as.url, fetch, allowInsecureHttp: true })
    assert.equal(metadata.token_endpoint, `${as.url}/token`)
    assert.equal(idJagProfileNote(metadata), PROFILE_NOT_ADVERTISED_NOTE)
  })

  test('CL-06 CL-07 stops when neither the ID-JAG grant profile nor jwt-bearer is advertised', async () => {
    documents = {
      '/.well-known/oauth-authorization-server': {
        issuer: as.url,
        token_endpoint: `${as.url}/token`,
        grant_types_supported: ['authorization_code'],
      },
    }
    await assert.rejects(discover(), /does not advertise the ID-JAG grant profile/i)
  })

  test('CL-07 stops when grant_types_supported lacks jwt-bearer', async () => {
    documents = {
      '/.well-known/oauth-authorization-server': { ...good(), grant_types_supported: ['authorization_code'] },
    }
    await assert.rejects(discover(), /does not advertise the ID-JAG grant profile/i)
  })
})
