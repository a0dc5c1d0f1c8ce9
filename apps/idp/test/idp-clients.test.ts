import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { generateSigningKey, publicJwks, TOKEN_TYPE } from '@ema/tokens'
import { decodeJwt } from 'jose'
import { loadConfig } from '../src/config.ts'
import { AS_ISSUER, RS_RESOURCE, exchange, signIn, signInWithRefreshToken, startIdp, type ClientAuth, type TestIdp } from './helpers.ts'

// IDP_CLIENTS: client registrations from configuration, added to the demo clients, so that a
// third-party client (the MCP Inspector, say) is registered without a code edit.

const BASE = {
  IDP_ISSUER: 'https://acme.idp.example',
  AS_ISSUER: 'https://auth.chat.example',
  RS_RESOURCE: 'https://mcp.chat.example/mcp',
  CLIENT_URL: 'https://agent.example',
}

/** A confidential native client, as the MCP Inspector is registered in interop/. */
const THIRD_PARTY = {
  client_id: 'third-party',
  client_secret: 'third-party-idp-secret',
  token_endpoint_auth_method: 'client_secret_post',
  application_type: 'native',
  redirect_uris: ['http://127.0.0.1/oauth/callback'],
  clientIdAtAuthorizationServer: { [BASE.AS_ISSUER]: 'third-party-at-as' },
} as const

const idpClients = (...clients: unknown[]): string => JSON.stringify(clients)

describe('IDP_CLIENTS in loadConfig', () => {
  test('IDP-21 unset, empty or blank, only the demo clients are registered', () => {
    for (const env of [BASE, { ...BASE, IDP_CLIENTS: '' }, { ...BASE, IDP_CLIENTS: ' ' }, { ...BASE, IDP_CLIENTS: '[]' }]) {
      assert.deepEqual(loadConfig(env).clients.map((client) => client.client_id), ['acme-agent'])
    }
  })

  test('IDP-21 its clients are added after the demo clients, with every field as given', async () => {
    const key = await generateSigningKey('ES256')
    const jwtClient = {
      client_id: 'third-party-jwt',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: publicJwks([key]),
      redirect_uris: ['https://third-party.example/callback'],
      clientIdAtAuthorizationServer: { [BASE.AS_ISSUER]: 'third-party-jwt-at-as' },
    }
    const config = loadConfig({ ...BASE, AGENT_CLI_JWKS: JSON.stringify(publicJwks([key])), IDP_CLIENTS: idpClients(THIRD_PARTY, jwtClient) })
    assert.deepEqual(config.clients.map((client) => client.client_id), ['acme-agent', 'acme-agent-cli', 'third-party', 'third-party-jwt'])
    assert.deepEqual(config.clients[2], THIRD_PARTY)
    assert.deepEqual(config.clients[3], jwtClient)
  })

  test('a mistake in IDP_CLIENTS is refused with one message naming the entry and field', async () => {
    const privateJwk = (await generateSigningKey('ES256')).privateJwk
    const { client_secret: _secret, ...withoutSecret } = THIRD_PARTY
    const refused: Array<[string, RegExp]> = [
      ['not json', /^IDP_CLIENTS is not valid JSON; expected an array of client registrations$/],
      [JSON.stringify(THIRD_PARTY), /^invalid IDP_CLIENTS: /], // one registration, not an array of them
      [idpClients({ ...THIRD_PARTY, client_id: '' }), /^invalid IDP_CLIENTS at 0\.client_id: /],
      [idpClients(THIRD_PARTY, { ...THIRD_PARTY, client_id: 'second', token_endpoint_auth_method: 'tls_client_auth' }), /^invalid IDP_CLIENTS at 1\.token_endpoint_auth_method: /],
      [idpClients(withoutSecret), /^invalid IDP_CLIENTS at 0: client_secret_\* clients need client_secret; private_key_jwt clients need jwks$/],
      [idpClients({ ...withoutSecret, token_endpoint_auth_method: 'private_key_jwt' }), /^invalid IDP_CLIENTS at 0: .*private_key_jwt clients need jwks$/],
      [idpClients({ ...withoutSecret, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [privateJwk] } }), /^IDP_CLIENTS\[0\]\.jwks must hold public keys only, but key 0 has the private member "d"/],
      [idpClients({ ...THIRD_PARTY, redirect_uris: [] }), /^invalid IDP_CLIENTS at 0\.redirect_uris: /],
      [idpClients({ ...THIRD_PARTY, redirect_uris: ['not a url'] }), /^invalid IDP_CLIENTS at 0\.redirect_uris\.0: /],
      [idpClients({ ...THIRD_PARTY, clientIdAtAuthorizationServer: {} }), /^invalid IDP_CLIENTS at 0\.clientIdAtAuthorizationServer: .*\(IDP-21\)$/],
      [idpClients({ ...THIRD_PARTY, clientIdAtAuthorizationServer: undefined }), /^invalid IDP_CLIENTS at 0\.clientIdAtAuthorizationServer: /],
      [idpClients({ ...THIRD_PARTY, clientIdAtAs: 'typo' }), /^invalid IDP_CLIENTS at 0: Unrecognized key: "clientIdAtAs"$/],
    ]
    for (const [value, message] of refused) {
      assert.throws(() => loadConfig({ ...BASE, IDP_CLIENTS: value }), { name: 'TypeError', message }, value)
    }
  })

  test('a client_id registered twice, by IDP_CLIENTS or by it and a demo client, is refused', async () => {
    const twice = /^invalid IDP_CLIENTS: client_id "(acme-agent|acme-agent-cli|third-party)" is registered twice \(IDP_CLIENTS adds to the demo clients, it does not replace them\); each client needs a client_id of its own$/
    assert.throws(() => loadConfig({ ...BASE, IDP_CLIENTS: idpClients(THIRD_PARTY, THIRD_PARTY) }), { message: twice })
    assert.throws(() => loadConfig({ ...BASE, IDP_CLIENTS: idpClients({ ...THIRD_PARTY, client_id: 'acme-agent' }) }), { message: twice })
    const agentCliJwks = JSON.stringify(publicJwks([await generateSigningKey('ES256')]))
    assert.throws(() => loadConfig({ ...BASE, AGENT_CLI_JWKS: agentCliJwks, IDP_CLIENTS: idpClients({ ...THIRD_PARTY, client_id: 'acme-agent-cli' }) }), { message: /"acme-agent-cli" is registered twice/ })
    assert.equal(loadConfig({ ...BASE, IDP_CLIENTS: idpClients({ ...THIRD_PARTY, client_id: 'acme-agent-cli' }) }).clients.length, 2) // the CLI is not registered without its keys
  })
})

/** Runs the IdP's main.ts with `env` added and returns its exit status and output. */
function runMain(env: Record<string, string>): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, ['src/main.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, ...BASE, IDP_PORT: '0', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  })
  return { status: run.status, output: run.stdout + run.stderr }
}

test('main.ts refuses a duplicate client_id in IDP_CLIENTS in one line, without a stack trace or the secret', () => {
  const run = runMain({ IDP_CLIENTS: idpClients({ ...THIRD_PARTY, client_id: 'acme-agent' }) })
  assert.equal(run.status, 1)
  assert.match(run.output, /cannot start: invalid IDP_CLIENTS: client_id "acme-agent" is registered twice/)
  assert.equal(run.output.trim().split('\n').length, 1, run.output)
  assert.doesNotMatch(run.output, /third-party-idp-secret/)
})

test('main.ts refuses an invalid IDP_CLIENTS entry in one line, without a stack trace or the secret', () => {
  const run = runMain({ IDP_CLIENTS: idpClients({ ...THIRD_PARTY, redirect_uris: ['not a url'] }) })
  assert.equal(run.status, 1)
  assert.match(run.output, /cannot start: invalid IDP_CLIENTS at 0\.redirect_uris\.0: /)
  assert.equal(run.output.trim().split('\n').length, 1, run.output)
  assert.doesNotMatch(run.output, /third-party-idp-secret/)
})

describe('a client registered through IDP_CLIENTS, on the wire', () => {
  let idp: TestIdp
  const thirdParty: ClientAuth = { method: 'client_secret_post', clientId: THIRD_PARTY.client_id, secret: THIRD_PARTY.client_secret }
  before(async () => {
    idp = await startIdp({ env: { IDP_CLIENTS: idpClients({ ...THIRD_PARTY, clientIdAtAuthorizationServer: { [AS_ISSUER]: 'third-party-at-as' } }) } })
  })
  after(() => idp.close())

  test('IDP-09 IDP-21 CL-13 it signs alice in through a loopback redirect on any port and gets an ID-JAG naming its id at the authorization server', async () => {
    const idToken = await signIn(idp, { client: thirdParty, username: 'alice', password: 'alice-password', redirectUri: 'http://127.0.0.1:49152/oauth/callback' })
    assert.equal(decodeJwt(idToken).aud, 'third-party')
    const res = await exchange(idp, { subject_token: idToken, scope: 'tasks.read tasks.write' }, thirdParty)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.body.issued_token_type, TOKEN_TYPE.ID_JAG)
    const payload = decodeJwt(String(res.body.access_token))
    assert.equal(payload.client_id, 'third-party-at-as')
    assert.equal(payload.aud, AS_ISSUER)
    assert.equal(payload.resource, RS_RESOURCE)
    assert.equal(payload.scope, 'tasks.read tasks.write')
  })

  test('IDP-04 CL-45 with offline_access it also gets a refresh token it may present as the subject token', async () => {
    const { refreshToken } = await signInWithRefreshToken(idp, { client: thirdParty, username: 'bob', password: 'bob-password', redirectUri: 'http://127.0.0.1:49153/oauth/callback' })
    const res = await exchange(idp, { subject_token: refreshToken, subject_token_type: TOKEN_TYPE.REFRESH_TOKEN }, thirdParty)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(decodeJwt(String(res.body.access_token)).scope, 'tasks.read') // bob: sales policy
  })

  test('IDP-09 IDP-57 its secret is checked: a wrong one is 401 invalid_client', async () => {
    const idToken = await signIn(idp, { client: thirdParty, username: 'alice', password: 'alice-password', redirectUri: 'http://127.0.0.1:49154/oauth/callback' })
    const res = await exchange(idp, { subject_token: idToken }, { ...thirdParty, secret: 'wrong' })
    assert.equal(res.status, 401, JSON.stringify(res.body))
    assert.equal(res.body.error, 'invalid_client')
  })
})
