import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { decodeJwt } from 'jose'
import { TOKEN_TYPE } from '@ema/tokens'
import {
  AS_ISSUER,
  RS_RESOURCE,
  exchange,
  signIn,
  signInWithRefreshToken,
  startIdp,
  type ClientAuth,
  type TestIdp,
} from './support/idp.ts'

// A third-party client (the MCP Inspector, say) registered through IDP_CLIENTS, on the wire.

/** A confidential native client, as the MCP Inspector is registered in interop/. */
const THIRD_PARTY = {
  client_id: 'third-party',
  client_secret: 'third-party-idp-secret',
  token_endpoint_auth_method: 'client_secret_post',
  application_type: 'native',
  redirect_uris: ['http://127.0.0.1/oauth/callback'],
  clientIdAtAuthorizationServer: { [AS_ISSUER]: 'third-party-at-as' },
} as const

const idpClients = (...clients: unknown[]): string => JSON.stringify(clients)

describe('a client registered through IDP_CLIENTS, on the wire', () => {
  let idp: TestIdp
  const thirdParty: ClientAuth = {
    method: 'client_secret_post',
    clientId: THIRD_PARTY.client_id,
    secret: THIRD_PARTY.client_secret,
  }
  before(async () => {
    idp = await startIdp({ env: { IDP_CLIENTS: idpClients(THIRD_PARTY) } })
  })
  after(() => idp.close())

  test('IDP-09 IDP-21 CL-13 it signs alice in through a loopback redirect on any port and gets an ID-JAG naming its id at the authorization server', async () => {
    const idToken = await signIn(idp, {
      client: thirdParty,
      username: 'alice',
      password: 'alice-password',
      redirectUri: 'http://127.0.0.1:49152/oauth/callback',
    })
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
    const { refreshToken } = await signInWithRefreshToken(idp, {
      client: thirdParty,
      username: 'bob',
      password: 'bob-password',
      redirectUri: 'http://127.0.0.1:49153/oauth/callback',
    })
    const res = await exchange(
      idp,
      { subject_token: refreshToken, subject_token_type: TOKEN_TYPE.REFRESH_TOKEN },
      thirdParty,
    )
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(decodeJwt(String(res.body.access_token)).scope, 'tasks.read') // bob: sales policy
  })

  test('IDP-09 IDP-57 its secret is checked: a wrong one is 401 invalid_client', async () => {
    const idToken = await signIn(idp, {
      client: thirdParty,
      username: 'alice',
      password: 'alice-password',
      redirectUri: 'http://127.0.0.1:49154/oauth/callback',
    })
    const res = await exchange(idp, { subject_token: idToken }, { ...thirdParty, secret: 'wrong' })
    assert.equal(res.status, 401, JSON.stringify(res.body))
    assert.equal(res.body.error, 'invalid_client')
  })
})
